"""The plugin object: built with the plugin's context when it takes one; its optional methods looked up and
called as plugin code (a lookup may raise, a null object answers everything)."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manifold.lifecycle.context import PluginContext

__all__ = ["call_method", "construct", "probe"]


def probe(obj: Any, name: str) -> Callable[..., Any] | None:
    """``obj.name`` when it is callable, else None; raises what the lookup raises (a ``__getattr__``)."""
    if obj is None:
        return None
    try:
        method = getattr(obj, name)
    except AttributeError:
        return None
    return method if callable(method) else None


def call_method(obj: Any, name: str) -> Any:
    """``obj.name()`` when the object has such a method (the lookup and the call are plugin code)."""
    method = probe(obj, name)
    return None if method is None else method()


def construct(cls: type, context: PluginContext | None) -> Any:
    """An instance of ``cls``, given the plugin's context when its constructor takes an argument."""
    return cls(context) if context is not None and _takes_context(cls) else cls()


_CO_VARARGS = 0x4  # inspect.CO_VARARGS, without importing inspect (and ast, dis, tokenize)


def _takes_context(cls: type) -> bool:
    init: Any = getattr(cls, "__init__", None)
    made_plainly = type(cls) is type and getattr(cls, "__new__", None) is object.__new__
    if made_plainly and init is object.__init__:
        return False  # a class without a constructor of its own takes no argument
    plain = made_plainly and isinstance(init, FunctionType)
    if plain and not hasattr(init, "__wrapped__"):  # a plain class: its __init__'s code says it, without inspect
        code = init.__code__
        required = code.co_argcount - 1 - len(init.__defaults__ or ())
        return required >= 1 or bool(code.co_flags & _CO_VARARGS)
    import inspect  # for the other classes only: not on a host's import

    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return False
    params = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(params) >= 1 or any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
