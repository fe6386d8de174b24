"""One hook implementation: built from a loaded extension with its signature checked, and the checks of a call.

An implementation takes any subset of the hook's declared parameters, in any order; the ones it
takes are passed by position while they line up with its signature, by name after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import FunctionType, MethodType
from typing import Any

from manifold._values import value_type
from manifold.errors import HookCallError
from manifold.registry import ExtensionHandle, Point

__all__ = [
    "MISSING",
    "HookImpl",
    "attach_implementation",
    "attached",
    "bad_call",
    "check_arguments",
    "implementation",
    "refuse_async",
]


@value_type
class HookImpl:
    """One implementation of a hook: the loaded callable, the declared arguments it takes
    (``positional`` passed by position, ``keywords`` by name) and the extension it comes from."""

    plugin: str
    handle: ExtensionHandle
    function: Callable[..., Any]
    positional: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    wrapper: bool = False
    is_async: bool = False

    @property
    def argnames(self) -> tuple[str, ...]:
        return self.positional + self.keywords

    def call(self, kwargs: Mapping[str, Any]) -> Any:
        """Call it with its share of ``kwargs`` (the slow, general way; compiled callers do not use it)."""
        return self.function(*[kwargs[n] for n in self.positional], **{n: kwargs[n] for n in self.keywords})

    def __str__(self) -> str:
        return f"{self.plugin} ({self.handle.ref})"


def implementation(point: Point, handle: ExtensionHandle, value: Any) -> HookImpl | str:
    """``value`` (a loaded extension of the hook ``point``) as an implementation, or what is wrong
    with it: a message starting with the extension's key path."""
    if handle.ref is None:
        return f"{_where(handle)}: a contribution to hook {point.id} needs a ref naming the callable to call"
    if not callable(value):
        return (
            f"{_where(handle)}.ref: {_name(handle)} is not callable (a {type(value).__name__}); "
            f"hook {point.id} calls its contributions"
        )
    read = _plain(value)
    if read is None:
        try:
            read = _read(value)
        except (TypeError, ValueError):
            return (
                f"{_where(handle)}.ref: the parameters of {_name(handle)} cannot be read, "
                f"so hook {point.id} cannot call it"
            )
    parameters, generator, coroutine = read
    declared = point.parameters
    positional: list[str] = []
    keywords: list[str] = []
    skipped: str | None = None  # an undeclared parameter with a default: what follows goes by name
    takes_rest = False
    for p_name, kind, has_default in parameters:
        if kind == VAR_POSITIONAL:
            skipped = skipped or p_name
        elif kind == VAR_KEYWORD:
            takes_rest = True
        elif p_name not in declared:
            if not has_default:
                its = ", ".join(declared) or "none"
                return (
                    f"{_where(handle)}.ref: {_name(handle)} takes parameter {p_name!r}, "
                    f"which hook {point.id} does not declare (its parameters: {its})"
                )
            if kind != KEYWORD_ONLY:
                skipped = skipped or p_name
        elif kind == KEYWORD_ONLY or (skipped and kind == POSITIONAL_OR_KEYWORD):
            keywords.append(p_name)
        elif skipped and kind == POSITIONAL_ONLY:
            return (
                f"{_where(handle)}.ref: {_name(handle)} takes {p_name!r} by position only, after {skipped!r}, "
                f"which hook {point.id} does not pass"
            )
        else:
            positional.append(p_name)
    if takes_rest:
        named = {p_name for p_name, _, _ in parameters}
        keywords += [n for n in declared if n not in named]
    if handle.wrapper and not generator:
        return (
            f"{_where(handle)}.ref: {_name(handle)} is a wrapper (wrapper = true) "
            "but not a generator function; it must yield once"
        )
    return HookImpl(handle.plugin, handle, value, tuple(positional), tuple(keywords), handle.wrapper, coroutine)


def _where(handle: ExtensionHandle) -> str:
    """The extension's key path, for the messages of ``implementation`` (made only for a message)."""
    return f"extensions[{handle.index}]"


def _name(handle: ExtensionHandle) -> str:
    return f"{handle.ref} of {handle.plugin}"


# A parameter as ``implementation`` reads it: its name, its kind (inspect.Parameter's kinds, by value) and
# whether it has a default.
Parameter = tuple[str, int, bool]
POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)
_GENERATOR, _COROUTINE, _VARARGS, _VARKEYWORDS = 0x20, 0x80, 0x04, 0x08  # the code flags inspect reads


def _plain(value: Any) -> tuple[list[Parameter], bool, bool] | None:
    """The parameters of a plain Python function (or of one bound to an object), and whether it is a
    generator or a coroutine function, read from its code object as ``inspect.signature`` would read them;
    None for anything else (a wrapped or annotated-signature function, a partial, a builtin, a class...),
    which ``_read`` asks ``inspect`` about. ``inspect`` costs a host ``ast``, ``dis`` and ``tokenize``."""
    function, bound = value, False
    if type(value) is MethodType:
        function, bound = value.__func__, True
    if type(function) is not FunctionType:
        return None
    own = function.__dict__  # where functools.wraps, a __signature__ or asyncio's marker would be: usually empty
    if own and ("__wrapped__" in own or "__signature__" in own or "_is_coroutine_marker" in own):
        return None
    code = function.__code__
    names, count, flags = code.co_varnames, code.co_argcount, code.co_flags
    kwonly = code.co_kwonlyargcount
    defaults = function.__defaults__ or ()
    kwdefaults = function.__kwdefaults__ or {}
    first_default = count - len(defaults)
    parameters: list[Parameter] = [
        (names[i], POSITIONAL_ONLY if i < code.co_posonlyargcount else POSITIONAL_OR_KEYWORD, i >= first_default)
        for i in range(count)
    ]
    rest = count + kwonly
    if flags & _VARARGS:
        parameters.append((names[rest], VAR_POSITIONAL, False))
    parameters += [(names[i], KEYWORD_ONLY, names[i] in kwdefaults) for i in range(count, count + kwonly)]
    if flags & _VARKEYWORDS:
        parameters.append((names[rest + 1 if flags & _VARARGS else rest], VAR_KEYWORD, False))
    if bound:
        if not parameters or parameters[0][1] not in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD):
            return None  # its first parameter is not the object: inspect says what it takes
        del parameters[0]
    return parameters, bool(flags & _GENERATOR), bool(flags & _COROUTINE)


def _read(value: Any) -> tuple[list[Parameter], bool, bool]:
    """What ``_plain`` reads, asked of ``inspect`` (raises TypeError or ValueError when it cannot say)."""
    import inspect

    parameters = [(p.name, int(p.kind), p.default is not p.empty) for p in inspect.signature(value).parameters.values()]
    return parameters, _is(inspect.isgeneratorfunction, value), _is(inspect.iscoroutinefunction, value)


def attach_implementation(point: Point, handle: ExtensionHandle, value: Any) -> str | None:
    """Build the implementation of the hook ``point`` from ``value``, the object ``handle`` loaded, and
    keep it on the handle for the callers; or say what makes ``value`` unusable (see ``implementation``)."""
    impl = implementation(point, handle, value)
    if isinstance(impl, str):
        return impl
    handle.hook_impl = (point, impl)
    return None


def attached(point: Point, handle: ExtensionHandle, value: Any) -> HookImpl | None:
    """The implementation of the hook ``point`` that ``value``, the object ``handle`` loaded, gives:
    the one built when it loaded, or (when the point was declared after that) one built now; None
    when ``value`` is unusable."""
    kept = handle.hook_impl
    if kept is not None and kept[0] is point and kept[1].function is value:
        return kept[1]  # type: ignore[no-any-return]
    impl = implementation(point, handle, value)
    return impl if isinstance(impl, HookImpl) else None


def _is(test: Callable[[Any], bool], value: Any) -> bool:
    """``test`` on a function, or on the ``__call__`` of a callable object."""
    import inspect

    return test(value) or (not inspect.isroutine(value) and test(type(value).__call__))


# ------------------------------------------------------------------- checking a call
MISSING: Any = object()
"""The default of every parameter of a compiled call: the argument was not given."""


def check_arguments(point: Point, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Raise HookCallError unless ``kwargs`` are exactly the hook's parameters (and ``args`` empty)."""
    problems = []
    if args:
        problems.append(f"takes keyword arguments only, got {len(args)} positional")
    missing = [n for n in point.parameters if n not in kwargs]
    if missing:
        problems.append(f"missing argument{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    unknown = [n for n in kwargs if n not in point.parameters]
    if unknown:
        problems.append(f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
    if problems:
        its = ", ".join(point.parameters) or "none"
        raise HookCallError(f"hook {point.id}: {'; '.join(problems)} (its parameters: {its})", hook=point.id)


def bad_call(point: Point, args: tuple[Any, ...], extra: Mapping[str, Any], values: tuple[Any, ...]) -> None:
    """The compiled code found a wrong call: raise the error ``check_arguments`` words."""
    kwargs = {n: v for n, v in zip(point.parameters, values, strict=True) if v is not MISSING}
    check_arguments(point, args, {**kwargs, **extra})


def refuse_async(point: Point, impls: Sequence[HookImpl], instead: str = "acall") -> None:
    """Raise HookCallError when a plain (not awaited) call meets an ``async`` implementation; the
    message names the awaited call to make ``instead``."""
    asynchronous = [str(i) for i in impls if i.is_async]
    if asynchronous:
        raise HookCallError(
            f"hook {point.id} has async implementations ({', '.join(asynchronous)}); await its {instead}() instead",
            hook=point.id,
        )
