"""A time limit on hook calls: per point (``timeout``) and per call (``hook.with_timeout(seconds)``).

The implementations that hang wait on an event that each test sets when it ends, so no thread outlives it
for long; every limit here is a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.hooks.test_hooks import HOOK, plugin

from manifold import HookCallError, HookTimeoutError, Manager
from manifold.testing import PluginFolder

CODE = """
import asyncio
import threading

RELEASE = threading.Event()
STARTED = []

def quick(kettle):
    return __name__.split('_')[1]

def hang(kettle):
    STARTED.append(kettle)
    RELEASE.wait(10)
    return "too late"

def slow(kettle):
    RELEASE.wait(0.3)
    return "slow"

async def ahang(kettle):
    await asyncio.sleep(10)

async def aquick(kettle):
    await asyncio.sleep(0)
    return "async " + __name__.split('_')[1]

def stuck_wrapper(kettle):
    RELEASE.wait(10)
    return (yield)

def wrapper_stuck_after(kettle):
    result = yield
    RELEASE.wait(10)
    return result
"""

LIMIT = 0.2


@pytest.fixture
def released() -> Iterator[list[str]]:
    """The packages of the test; their hanging implementations are let go when it ends."""
    packages: list[str] = []
    yield packages
    for package in packages:
        sys.modules[package].RELEASE.set()


def three(folder: PluginFolder, released: list[str], middle: str, **point: Any) -> tuple[Manager, str]:
    """Plugins a, b, c; b's implementation is ``middle``; the hook declared with ``point`` options."""
    for pid in "abc":
        package = plugin(folder, pid, CODE, {"ref": f":{middle if pid == 'b' else 'quick'}"})
        released.append(package)
    folder.add("zz-host", extension_points=[{"id": HOOK, "hook": True, "parameters": ["kettle"], **point}])
    return folder.manager(), released[1]


def test_a_point_timeout_cuts_off_an_implementation(manifold_plugins: PluginFolder, released: list[str]) -> None:
    manager, b = three(manifold_plugins, released, "hang", timeout=LIMIT)
    caller = manager.hook(HOOK)
    started = time.monotonic()
    with pytest.raises(HookTimeoutError) as raised:
        caller(kettle="k")
    assert time.monotonic() - started < 5
    assert str(raised.value) == f"hook acme.kettle-on: b ({b}:hang) did not finish within 0.2 s and was cut off"
    assert (raised.value.hook, raised.value.plugin, raised.value.seconds) == (HOOK, "b", LIMIT)
    assert isinstance(raised.value, TimeoutError)
    assert sys.modules[b].STARTED == ["k"]


def test_call_safe_keeps_the_others_results(
    manifold_plugins: PluginFolder, released: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    manager, b = three(manifold_plugins, released, "hang", timeout=LIMIT)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        outcome = manager.hook(HOOK).call_safe(kettle="k")
    assert (outcome.result, outcome.successes) == (["a", "c"], (("a", "a"), ("c", "c")))
    assert [(f.plugin, type(f.error), str(f.error)) for f in outcome.failures] == [
        ("b", HookTimeoutError, f"hook acme.kettle-on: b ({b}:hang) did not finish within 0.2 s and was cut off")
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"hook acme.kettle-on: b ({b}:hang) did not finish within 0.2 s and was cut off; skipped"
    ]
    # the next call runs on a new worker: the stuck one is left behind
    assert manager.hook(HOOK).call_safe(kettle="k").result == ["a", "c"]


def test_a_limit_per_call(manifold_plugins: PluginFolder, released: list[str]) -> None:
    manager, _ = three(manifold_plugins, released, "slow")
    caller = manager.hook(HOOK)
    assert caller(kettle="k") == ["a", "slow", "c"]  # no limit
    limited = caller.with_timeout(0.1)
    with pytest.raises(HookTimeoutError, match=r"b \(.*:slow\) did not finish within 0.1 s"):
        limited(kettle="k")
    assert limited.call_safe(kettle="k").result == ["a", "c"]
    with pytest.raises(HookCallError, match="missing argument 'kettle'"):
        limited()
    assert caller(kettle="k") == ["a", "slow", "c"]  # the caller itself keeps no limit


def test_a_limit_per_call_overrides_the_points(manifold_plugins: PluginFolder, released: list[str]) -> None:
    manager, _ = three(manifold_plugins, released, "slow", timeout=0.1)
    caller = manager.hook(HOOK)
    assert caller.call_safe(kettle="k").result == ["a", "c"]
    assert caller.with_timeout(None)(kettle="k") == ["a", "slow", "c"]
    assert caller.with_timeout(5)(kettle="k") == ["a", "slow", "c"]


@pytest.mark.parametrize("seconds", [0, -1, True, "2"])
def test_a_time_limit_is_a_positive_number(manifold_plugins: PluginFolder, seconds: Any) -> None:
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True, parameters=["kettle"])
    with pytest.raises(HookCallError) as raised:
        manager.hook(HOOK).with_timeout(seconds)
    assert str(raised.value) == (
        f"hook acme.kettle-on: a time limit is a number of seconds above 0, or None; not {seconds!r}"
    )


def test_async_calls_cut_off_async_and_plain_implementations(
    manifold_plugins: PluginFolder, released: list[str]
) -> None:
    packages = [
        plugin(manifold_plugins, "a", CODE, {"ref": ":aquick", "priority": 3}),
        plugin(manifold_plugins, "b", CODE, {"ref": ":ahang", "priority": 2}),
        plugin(manifold_plugins, "c", CODE, {"ref": ":hang", "priority": 1}),
        plugin(manifold_plugins, "d", CODE, {"ref": ":quick"}),
    ]
    released += packages
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True, parameters=["kettle"], timeout=LIMIT)
    caller = manager.hook(HOOK)
    outcome = asyncio.run(caller.acall_safe(kettle="k"))
    assert (outcome.result, outcome.successes) == (["async a", "d"], (("a", "async a"), ("d", "d")))
    assert [str(f.error) for f in outcome.failures] == [
        f"hook acme.kettle-on: b ({packages[1]}:ahang) did not finish within 0.2 s and was cut off",
        f"hook acme.kettle-on: c ({packages[2]}:hang) did not finish within 0.2 s and was cut off",
    ]
    with pytest.raises(HookTimeoutError, match=r"^hook acme.kettle-on: b \("):
        asyncio.run(caller.acall(kettle="k"))


@pytest.mark.parametrize("name", ["stuck_wrapper", "wrapper_stuck_after"])
def test_a_wrapper_is_timed_too(manifold_plugins: PluginFolder, released: list[str], name: str) -> None:
    package = plugin(manifold_plugins, "a", CODE, {"ref": ":quick"}, {"ref": f":{name}", "wrapper": True})
    released.append(package)
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True, parameters=["kettle"], timeout=LIMIT)
    with pytest.raises(HookTimeoutError) as raised:
        manager.hook(HOOK)(kettle="k")
    assert str(raised.value) == f"hook acme.kettle-on: a ({package}:{name}) did not finish within 0.2 s and was cut off"
    outcome = manager.hook(HOOK).call_safe(kettle="k")
    assert (outcome.result, [f.plugin for f in outcome.failures]) == (["a"], ["a"])


def test_historic_calls_keep_the_points_limit(manifold_plugins: PluginFolder, released: list[str]) -> None:
    manager, _ = three(manifold_plugins, released, "hang", timeout=LIMIT)
    manager.start()
    for pid in "abc":
        manager.activate(pid)
    with pytest.raises(HookTimeoutError, match=r"did not finish within 0\.2 s"):
        manager.hook(HOOK).call_historic(kettle="k")
