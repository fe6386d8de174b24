"""``@value_type`` makes what ``@dataclass(frozen=True, slots=True)`` makes: the same constructor, repr,
equality, hashing, refusal to assign, pickling, and the ``dataclasses`` functions on it."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import keyword
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import manifold
from manifold import HostConfig, Manifest, PluginInfo, Reason
from manifold._values import field, fields, replace, value_type


@value_type
class Made:
    """A value of every kind of field."""

    code: str
    message: str
    chain: tuple[str, ...] = ()
    error: BaseException | None = field(default=None, compare=False, repr=False)
    settings: object = field(default_factory=dict)  # a tuple of pairs keeps it hashable
    hidden: int = field(default=7, init=False, repr=False, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Twin:
    """The same value, made by dataclasses."""

    code: str
    message: str
    chain: tuple[str, ...] = ()
    error: BaseException | None = dataclasses.field(default=None, compare=False, repr=False)
    settings: object = dataclasses.field(default_factory=dict)
    hidden: int = dataclasses.field(default=7, init=False, repr=False, compare=False)


@value_type(frozen=False)
class Mutable:
    id: str
    count: int = 0


@value_type
class Checked:
    size: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"size must not be negative, not {self.size}")


def test_the_constructor_is_the_dataclass_one() -> None:
    assert str(inspect.signature(Made)) == str(inspect.signature(Twin))
    assert str(inspect.signature(Made)) == (
        "(code: 'str', message: 'str', chain: 'tuple[str, ...]' = (), error: 'BaseException | None' = None, "
        "settings: 'object' = <factory>) -> None"
    )
    assert Made.__match_args__ == Twin.__match_args__ == ("code", "message", "chain", "error", "settings")
    assert vars(Made)["__slots__"] == Twin.__slots__
    assert Made("a", "b").settings == {}
    assert Made("a", "b").settings is not Made("a", "b").settings
    assert Made("a", "b").hidden == 7
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'message'"):
        Made("a")  # type: ignore[call-arg]


def test_repr_equality_and_hash_read_the_same_fields() -> None:
    made, twin = Made("a", "b", ("c",), ValueError("x")), Twin("a", "b", ("c",), ValueError("x"))
    assert repr(made) == "Made(code='a', message='b', chain=('c',), settings={})"
    assert repr(made).removeprefix("Made") == repr(twin).removeprefix("Twin")
    assert made == Made("a", "b", ("c",), None)  # the error is not compared
    assert made != Made("a", "b")
    other: object = twin
    assert made != other  # another class
    frozen = Made("a", "b", settings=())
    assert hash(frozen) == hash(Made("a", "b", error=ValueError(), settings=())) == hash(Twin("a", "b", settings=()))
    assert Mutable.__hash__ is None
    mutable = Mutable("x")
    mutable.count = 2
    assert mutable == Mutable("x", 2)
    assert repr(mutable) == "Mutable(id='x', count=2)"


def test_assigning_a_field_raises_what_a_dataclass_raises() -> None:
    made = Made("a", "b")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'code'"):
        made.code = "z"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'code'"):
        del made.code


def test_post_init_checks_the_value() -> None:
    assert Checked(3).size == 3
    with pytest.raises(ValueError, match="size must not be negative, not -1"):
        Checked(-1)


def test_pickled_copied_and_read_by_the_dataclasses_functions() -> None:
    made = Made("a", "b", ("c",), settings=(("k", 1),))
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.deepcopy(made) == made
    assert copy.copy(made) == made
    assert dataclasses.is_dataclass(made)
    assert [f.name for f in dataclasses.fields(made)] == [f.name for f in dataclasses.fields(Twin)]
    assert [(f.name, f.init, f.repr, f.compare) for f in fields(Made)] == [
        (f.name, f.init, f.repr, f.compare) for f in dataclasses.fields(Twin)
    ]
    assert dataclasses.replace(made, code="z") == replace(made, code="z") == Made("z", "b", ("c",), None, (("k", 1),))
    assert dataclasses.asdict(Made("a", "b")) == dataclasses.asdict(Twin("a", "b"))
    if sys.version_info >= (3, 13):
        assert copy.replace(made, code="z") == replace(made, code="z")  # type: ignore[attr-defined,unused-ignore]
    with pytest.raises(ValueError, match="field hidden is declared with init=False"):
        replace(made, hidden=1)


def test_the_public_values_keep_their_dataclass_behaviour() -> None:
    reason = Reason("failed", "it broke", error=ValueError())
    assert reason == Reason("failed", "it broke")
    assert hash(reason) == hash(Reason("failed", "it broke"))
    assert repr(reason) == "Reason(code='failed', message='it broke', chain=(), phase=None, traceback='', cause=None)"
    assert [f.name for f in dataclasses.fields(HostConfig)][:3] == ["app", "app_version", "api_version"]
    assert dataclasses.replace(HostConfig(app="x"), app="y") == HostConfig(app="y")
    assert "manifest" in [f.name for f in dataclasses.fields(PluginInfo)]
    assert "data" in [f.name for f in dataclasses.fields(Manifest)]


def test_a_value_cannot_derive_from_another() -> None:
    with pytest.raises(TypeError, match="Sub: a value cannot derive from another value"):

        @value_type
        class Sub(Checked):
            more: int = 0


# A field as a test declares it: how it is given (see _declared), its name and its default or factory's value.
PREFIXES = ("", "_factory_", "_default_")  # a field's names in its value's constructor
CHECKED: list[object] = []  # the values __post_init__ was called on
KINDS = ("plain", "default", "factory", "hidden-default", "hidden-factory", "hidden")
NAMES = st.from_regex(r"\A[a-z][a-z0-9_]{0,6}\Z").filter(lambda name: not keyword.iskeyword(name) and name != "self")


@st.composite
def shapes(draw: st.DrawFn) -> tuple[list[str], bool, bool]:
    kinds = draw(st.lists(st.sampled_from(KINDS), max_size=8))
    return kinds, draw(st.booleans()), draw(st.booleans())  # the kinds, frozen, a __post_init__


def _declared(
    kinds: list[str], names: list[str], values: list[int], *, frozen: bool, post_init: bool, twin_only: bool = False
) -> tuple[Any, Any]:
    """A value and its dataclass twin, with fields of the given kinds, names and default (or factory) values."""
    made: dict[str, Any] = {"__annotations__": dict.fromkeys(names, "int")}
    twin: dict[str, Any] = {"__annotations__": dict.fromkeys(names, "int")}
    for kind, name, value in zip(kinds, names, values, strict=True):
        init = not kind.startswith("hidden")
        if kind.endswith("default"):
            made[name], twin[name] = field(default=value, init=init), dataclasses.field(default=value, init=init)
        elif kind.endswith("factory"):
            made[name] = field(default_factory=_listing(value), init=init)
            twin[name] = dataclasses.field(default_factory=_listing(value), init=init)
        elif kind == "hidden":
            made[name], twin[name] = field(init=False), dataclasses.field(init=False)
    if post_init:

        def __post_init__(self: Any) -> None:
            CHECKED.append(self)

        made["__post_init__"] = twin["__post_init__"] = __post_init__
    made_type = None if twin_only else value_type(frozen=frozen)(type("Value", (), made))
    return made_type, dataclasses.dataclass(frozen=frozen)(type("Value", (), twin))


def _listing(value: int) -> Callable[[], list[int]]:
    return lambda: [value]


def _seen(obj: object, names: list[str]) -> list[Any]:
    return [getattr(obj, name, "<unset>") for name in names]


@given(
    shapes(),
    st.lists(NAMES, min_size=16, max_size=16, unique=True),
    st.lists(st.integers(), min_size=16, max_size=16),
)
def test_values_of_one_shape_share_a_constructor_but_no_name_default_or_factory(
    shape: tuple[list[str], bool, bool], names: list[str], values: list[int]
) -> None:
    kinds, frozen, post_init = shape
    n = len(kinds)
    with_default = [i for i, kind in enumerate(kinds) if kind in ("default", "factory")]
    if with_default and "plain" in kinds[with_default[0] :]:
        name = names[kinds.index("plain", with_default[0])]
        with pytest.raises(TypeError, match=f"^non-default argument {name!r} follows default argument$"):
            _declared(kinds, names[:n], values[:n], frozen=frozen, post_init=post_init)
        with pytest.raises(TypeError, match=f"^non-default argument {name!r} follows default argument"):  # 3.13: + name
            _declared(kinds, names[:n], values[:n], frozen=frozen, post_init=post_init, twin_only=True)
        return
    made = [
        (*_declared(kinds, own_names, own_values, frozen=frozen, post_init=post_init), own_names)
        for own_names, own_values in ((names[:n], values[:n]), (names[8 : 8 + n], values[8 : 8 + n]))
    ]
    for value, twin, own_names in made:
        assert str(inspect.signature(value)) == str(inspect.signature(twin))
        given = {name: -1 for kind, name in zip(kinds, own_names, strict=True) if kind == "plain"}
        assert _seen(value(**given), own_names) == _seen(twin(**given), own_names)
        if "hidden" not in kinds:  # a field left unset: both raise AttributeError
            assert value(**given) == value(**given)
            assert repr(value(**given)) == repr(twin(**given))
        CHECKED.clear()
        made_now = value(**given)
        assert ([made_now] if post_init else []) == CHECKED
        code = value.__init__.__code__
        assert code.co_filename == f"<value {__name__}.Value>"
        own = {"self", "_set", "_FACTORY", "__post_init__"} | {f"{p}{n}" for n in own_names for p in PREFIXES}
        assert {*code.co_names, *(c for c in code.co_consts if isinstance(c, str))} <= own  # no placeholder left
        assert code.co_varnames == (
            "self",
            *(name for kind, name in zip(kinds, own_names, strict=True) if kind in KINDS[:3]),
        )
    first, second = made[0][0].__init__, made[1][0].__init__
    assert first.__code__.co_code == second.__code__.co_code  # the same template
    assert first.__globals__ is not second.__globals__
    assert first.__defaults__ is None or first.__defaults__ is not second.__defaults__


def test_a_field_named_as_one_of_the_constructor_s_own_names_is_compiled_from_its_text() -> None:
    names = ["_set", "_default_y", "x"]
    value, twin = _declared(["plain", "default", "hidden-default"], names, [0, 1, 2], frozen=False, post_init=False)
    assert _seen(value(5), names) == _seen(twin(5), names) == [5, 1, 2]
    assert value.__init__.__code__.co_varnames == ("self", "_set", "_default_y")


def test_the_written_constructors_are_those_of_every_value_in_manifold() -> None:
    """A value added or changed without running ``python -m manifold._values`` would compile its constructor."""
    code = "from manifold._values import written_constructors\nprint(written_constructors(), end='')\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    written = Path(manifold.__file__).with_name("_constructors.py").read_text(encoding="utf-8")
    assert done.stdout == written, "run: python -m manifold._values"
