"""``@value_type`` makes what ``@dataclass(frozen=True, slots=True)`` makes: the same constructor, repr,
equality, hashing, refusal to assign, pickling, and the ``dataclasses`` functions on it."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys

import pytest

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
