"""Typed frozen values without importing ``dataclasses``: ``@value_type`` is ``@dataclass(frozen=True, slots=True)``.

Importing ``dataclasses`` would cost a host's start ``inspect``, ``ast``, ``dis`` and ``tokenize``, and each
class it builds compiles six generated methods. ``@value_type`` writes only the constructor as code (so that
it is as fast and has the same signature, annotations and defaults); equality, hashing and ``repr`` read
the fields through one ``operator.attrgetter``. The result behaves as the dataclass would: the same
constructor, ``repr``, ``==`` and ``hash`` over the same fields (``field(compare=False)``,
``field(repr=False)``, ``field(init=False)``, ``default_factory``, ``__post_init__``), assignment refused
with ``dataclasses.FrozenInstanceError``, pickling, copying and ``copy.replace``. ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` work on it too: ``__dataclass_fields__`` is built (importing
``dataclasses``) when first read. Inside manifold, ``fields`` and ``replace`` here do the same without
that import. Not supported (refused or absent): a value deriving from another, ``order``, ``kw_only``,
``InitVar``.
"""

from __future__ import annotations

import _thread
import builtins
from collections.abc import Callable
from functools import cache
from keyword import iskeyword
from operator import attrgetter
from types import CodeType, FunctionType
from typing import Any, TypeVar, dataclass_transform, overload

from manifold._constructors import CONSTRUCTORS

__all__ = ["field", "fields", "replace", "value_type"]

T = TypeVar("T")
C = TypeVar("C", bound=type)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<MISSING>"


class _Factory:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"  # what a dataclass's signature shows for a field with a default_factory


_MISSING: Any = _Missing()
_FACTORY: Any = _Factory()


class _Field:
    """One field: what ``field()`` was given, and the name and annotation the class gave it."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr", "type")

    def __init__(
        self,
        default: Any = _MISSING,
        default_factory: Any = _MISSING,
        init: bool = True,
        repr: bool = True,  # the name dataclasses.field gives it
        compare: bool = True,
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare
        self.name = ""
        self.type: Any = None  # the annotation, as the class wrote it


@overload
def field(*, default: T, init: bool = True, repr: bool = True, compare: bool = True) -> T: ...
@overload
def field(
    *,
    default_factory: Callable[[], T],
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> T: ...
@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field's options, as ``dataclasses.field`` takes them (``hash`` follows ``compare``, as by default)."""
    return _Field(default, default_factory, init, repr, compare)


@overload
def value_type(cls: C, /) -> C: ...
@overload
def value_type(*, frozen: bool = True) -> Callable[[C], C]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_type(cls: Any = None, /, *, frozen: bool = True) -> Any:
    """The class as a slotted value (``frozen=False``: its fields may be assigned, and it is unhashable)."""
    if cls is None:
        return lambda given: _build(given, frozen)
    return _build(cls, frozen)


def fields(class_or_value: type | object) -> tuple[_Field, ...]:
    """A value's fields, in order, as ``dataclasses.fields`` gives them (``name``, ``type``, ``default``,
    ``default_factory``, ``init``, ``repr``, ``compare``), without importing it."""
    found: tuple[_Field, ...] = getattr(class_or_value, "__value_fields__")  # noqa: B009  # unknown to mypy
    return found


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the value ``obj`` with ``changes`` (``dataclasses.replace``, without importing it)."""
    fields: tuple[_Field, ...] = getattr(obj, "__value_fields__")  # noqa: B009
    for f in fields:
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with replace()")
        elif f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    copy: T = obj.__class__(**changes)
    return copy


def _build(cls: type, frozen: bool) -> Any:
    own = cls.__dict__
    fields: list[_Field] = []
    for name, annotation in own.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        given = own.get(name, _MISSING)
        spec = given if isinstance(given, _Field) else _Field(default=given)
        spec.name, spec.type = name, annotation
        fields.append(spec)
    if any(hasattr(base, "__value_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__qualname__}: a value cannot derive from another value")
    names = tuple(f.name for f in fields)
    body = {k: v for k, v in own.items() if k not in names and k not in ("__dict__", "__weakref__")}
    body["__slots__"] = names
    body["__qualname__"] = cls.__qualname__
    body["__value_fields__"] = tuple(fields)
    body["__match_args__"] = tuple(f.name for f in fields if f.init)
    body["__dataclass_fields__"] = _LazyFields()

    def add(name: str, method: Any) -> None:
        if name not in own:
            if callable(method):
                method.__qualname__ = f"{cls.__qualname__}.{name}"
            body[name] = method

    add("__init__", _init(cls, fields, frozen, "__post_init__" in own))
    add("__repr__", _repr([f.name for f in fields if f.repr]))
    compared = _key([f.name for f in fields if f.compare])
    add("__eq__", _eq(compared))
    add("__replace__", _replace_method())  # copy.replace (3.13), as a dataclass has it
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if not explicit_hash:
        body["__hash__"] = _hash(compared) if frozen else None
    if frozen:
        add("__setattr__", _refuse_set(names))
        add("__delattr__", _refuse_delete(names))
        add("__getstate__", _getstate(names))
        add("__setstate__", _setstate(names))
    return type(cls)(cls.__name__, cls.__bases__, body)


def _init(cls: type, fields: list[_Field], frozen: bool, post_init: bool) -> Callable[..., None]:
    """The constructor, the code a dataclass would compile for it (its signature is what callers see).

    Its code is that of a template of the same shape, written out ahead in ``manifold._constructors``
    (or compiled once per shape), with the field names put in place of the template's: so importing
    manifold compiles nothing. Defaults are the function's ``__defaults__``; factories and the defaults
    of fields outside the constructor are read from its globals.
    """
    scope: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    kinds = []  # one letter per field the constructor sets: see _shape_text
    names = []
    defaults = []
    for f in fields:
        if f.default_factory is not _MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            kinds.append("F" if f.init else "f")
            if f.init:
                defaults.append(_FACTORY)
        elif f.init:
            if f.default is not _MISSING:
                scope[f"_default_{f.name}"] = f.default
                defaults.append(f.default)
            elif defaults:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            kinds.append("I")
        elif f.default is not _MISSING:
            scope[f"_default_{f.name}"] = f.default
            kinds.append("d")
        else:
            continue
        names.append(f.name)
    scope["__builtins__"] = builtins.__dict__  # what exec() would have put there
    filename = f"<value {cls.__module__}.{cls.__qualname__}>"
    shape = _shape(frozen, "".join(kinds), post_init)
    if all(_plain(name) for name in names):
        code = _renamed(_template(shape), names).replace(co_filename=filename)
    else:  # a name the template's own names could clash with: its own text, as before
        code = _code(_shape_text(shape, names), filename)
    init: Callable[..., None] = FunctionType(code, scope, "__init__", tuple(defaults) or None)
    scope["__init__"] = init  # as exec() of its text would have left it
    init.__annotations__ = {f.name: f.type for f in fields if f.init} | {"return": None}
    return init


def _shape(frozen: bool, kinds: str, post_init: bool) -> str:
    """A constructor's shape: ``frozen_IIF`` (or ``mutable_...``), ending ``_post`` if it calls ``__post_init__``."""
    return f"{'frozen' if frozen else 'mutable'}_{kinds}{'_post' if post_init else ''}"


def _shape_text(shape: str, names: list[str]) -> str:
    """The constructor of a shape, as text, for fields named ``names``. One letter per field: ``I`` a
    parameter, ``F`` a parameter with a default factory, ``f`` a factory outside the constructor, ``d`` a
    default outside it (a parameter's default is the function's, not the text's)."""
    frozen, kinds, *post = shape.split("_")
    params = ["self"]
    lines = []
    for kind, name in zip(kinds, names, strict=True):
        target = f"_set(self, {name!r}, %s)" if frozen == "frozen" else f"self.{name} = %s"
        if kind in "IF":
            params.append(name)
        if kind == "I":
            lines.append(target % name)
        elif kind == "F":
            lines.append(target % f"_factory_{name}() if {name} is _FACTORY else {name}")
        elif kind == "f":
            lines.append(target % f"_factory_{name}()")
        else:
            lines.append(target % f"_default_{name}")
    if post:
        lines.append("self.__post_init__()")
    return f"def __init__({', '.join(params)}):\n    " + "\n    ".join(lines or ["pass"]) + "\n"


def _placeholders(shape: str) -> list[str]:
    return [f"_{i}" for i in range(len(shape.split("_")[1]))]


@cache
def _template(shape: str) -> CodeType:
    """The code of a shape with placeholder names (``_0``, ``_1``...): written out ahead, or compiled once."""
    written = CONSTRUCTORS.get(shape)
    if written is not None:
        return written
    return _code(_shape_text(shape, _placeholders(shape)), "<value>")


def _code(text: str, filename: str) -> CodeType:
    """The code of the one function ``text`` defines."""
    (code,) = (c for c in compile(text, filename, "exec").co_consts if isinstance(c, CodeType))
    return code


def _plain(name: str) -> bool:
    """Whether ``name`` can take a placeholder's place without meeting one of the template's own names."""
    return (
        name.isidentifier()
        and not iskeyword(name)
        and name not in ("self", "_set", "_FACTORY", "__post_init__")
        and not name.startswith(("_factory_", "_default_"))
    )


def _renamed(template: CodeType, names: list[str]) -> CodeType:
    """The template's code with its placeholders replaced by ``names``: as if compiled from their text."""

    def new(name: str) -> str:  # _3 -> names[3], _factory__3 -> _factory_<names[3]>, _default__3 likewise
        head, _, index = name.rpartition("_")
        return head + names[int(index)] if name[:1] == "_" and index.isdigit() else name

    return template.replace(
        co_firstlineno=1,
        co_varnames=tuple(map(new, template.co_varnames)),
        co_names=tuple(map(new, template.co_names)),
        co_consts=tuple(new(c) if isinstance(c, str) else c for c in template.co_consts),
    )


def _key(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda self: ()
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda self: (get(self),)
    return get


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _repr(names: list[str]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), _thread.get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _replace_method() -> Callable[..., Any]:
    def __replace__(self: Any, /, **changes: Any) -> Any:
        return replace(self, **changes)

    return __replace__


def _frozen_error(name: str) -> AttributeError:
    import dataclasses  # only to refuse an assignment: the error a dataclass raises

    return dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_set(names: tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise _frozen_error(name)

    return __setattr__


def _refuse_delete(names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        raise _frozen_error(name)

    return __delattr__


def _getstate(names: tuple[str, ...]) -> Callable[[Any], list[Any]]:
    def __getstate__(self: Any) -> list[Any]:
        return [getattr(self, name) for name in names]

    return __getstate__


def _setstate(names: tuple[str, ...]) -> Callable[[Any, list[Any]], None]:
    def __setstate__(self: Any, state: list[Any]) -> None:
        for name, item in zip(names, state, strict=True):
            object.__setattr__(self, name, item)

    return __setstate__


class _LazyFields:
    """``__dataclass_fields__``, built when first read: ``dataclasses.Field`` objects the module's functions
    read, taken from a dataclass declared with the same fields (so they are what ``@dataclass`` makes)."""

    def __get__(self, obj: object, owner: type) -> dict[str, Any]:
        import dataclasses

        fields: tuple[_Field, ...] = owner.__dict__["__value_fields__"]
        body: dict[str, Any] = {"__annotations__": {f.name: f.type for f in fields}}
        for f in fields:
            options: dict[str, Any] = {"init": f.init, "repr": f.repr, "compare": f.compare}
            if f.default is not _MISSING:
                options["default"] = f.default
            if f.default_factory is not _MISSING:
                options["default_factory"] = f.default_factory
            body[f.name] = dataclasses.field(**options)
        shadow: Any = dataclasses.dataclass(type(owner.__name__, (), body))
        found: dict[str, Any] = shadow.__dataclass_fields__
        type.__setattr__(owner, "__dataclass_fields__", found)  # read once
        return found


def written_constructors() -> str:
    """The text of ``manifold/_constructors.py``: the template of every shape manifold's values have, each
    module of the package imported in this process (run it in a fresh one: ``python -m manifold._values``)."""
    import importlib
    import pkgutil

    import manifold

    shapes = set()
    known = _template

    def seen(shape: str) -> CodeType:
        shapes.add(shape)
        return known(shape)

    globals()["_template"] = seen  # what each value built from now on asks for
    try:
        for module in pkgutil.walk_packages(manifold.__path__, "manifold."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    finally:
        globals()["_template"] = known
    parts = [
        '"""The constructors of the shapes of manifold\'s values, with placeholder names: ``manifold._values``',
        "renames a copy of one for each value, so that importing manifold compiles none. Generated by",
        '``python -m manifold._values``; do not edit."""',
        "",
        "from __future__ import annotations  # the flags of a constructor compiled by manifold._values",
        "",
        "CONSTRUCTORS = {}",
    ]
    for shape in sorted(shapes):
        parts += [
            "",
            "",
            _shape_text(shape, _placeholders(shape)).rstrip("\n"),
            f"CONSTRUCTORS[{shape!r}] = __init__.__code__",
        ]
    parts += ["", "del __init__", ""]
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    from manifold._values import written_constructors as write

    Path(__file__).with_name("_constructors.py").write_text(write(), encoding="utf-8")
