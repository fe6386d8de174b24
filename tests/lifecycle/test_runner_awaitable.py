"""What the runner awaits: exactly what ``await`` accepts, asked of the type (a null object is not awaited)."""

from __future__ import annotations

import inspect
import types
from typing import Any
from unittest import mock

import pytest

from manifold.lifecycle.runner import _awaitable, _finish


async def coroutine() -> str:
    return "done"


@types.coroutine
def generator_coroutine() -> Any:
    yield
    return "done"


def plain_generator() -> Any:
    yield 1


class Future:
    def __await__(self) -> Any:
        return coroutine().__await__()


class NullObject:
    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: self


class NotAwaitable:
    __await__ = None


CASES = {
    "coroutine": (coroutine, True),
    "generator-based coroutine": (generator_coroutine, True),
    "plain generator": (plain_generator, False),
    "class with __await__": (Future, True),
    "null object": (NullObject, False),
    "__await__ = None": (NotAwaitable, False),
    "mock": (mock.Mock, False),
    "number": (lambda: 3, False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_awaitable_agrees_with_inspect_for_every_kind_of_object(name: str) -> None:
    make, expected = CASES[name]
    value = make()
    try:
        assert _awaitable(value) is expected
        assert inspect.isawaitable(value) is expected
    finally:
        if inspect.iscoroutine(value):
            value.close()


def test_finish_awaits_what_is_awaitable_and_returns_the_rest() -> None:
    assert _finish(coroutine()) == "done"
    assert _finish(Future()) == "done"
    null = NullObject()
    assert _finish(null) is null
