"""The threading contract under stress: many threads, a tiny switch interval, every wait bounded.

One instance per lazy extension, ``activate()`` once, first calls that all see the discovered
manager, rescans that readers see whole, and plugin code calling the manager back from the worker.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from manifold import Manager
from manifold.testing import PluginFolder

THREADS = 24
JOIN = 20.0  # seconds a thread may take before the test calls it a deadlock

_counter = itertools.count()

JOURNAL = types.ModuleType("threads_journal")
JOURNAL.EVENTS = []  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _stress(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Threads switch as often as the interpreter allows; plugin code records its calls in EVENTS."""
    monkeypatch.setitem(sys.modules, "threads_journal", JOURNAL)
    JOURNAL.EVENTS = []  # type: ignore[attr-defined]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def events() -> list[Any]:
    return list(JOURNAL.EVENTS)  # type: ignore[attr-defined]


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` in ``count`` threads released together; their results, or the test fails (raised, deadlocked)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(JOIN)
            results[index] = work(index)
        except BaseException as e:  # reported below, with the thread's result
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not [t for t in threads if t.is_alive()], "threads still running: a deadlock"
    assert errors == []
    return results


LAZY = """
import time
import threads_journal

class Plugin:
    def __init__(self):
        threads_journal.EVENTS.append("plugin built")

    def activate(self):
        threads_journal.EVENTS.append("activate")
        time.sleep(0.01)

class Widget:
    def __init__(self):
        threads_journal.EVENTS.append("widget built")
        time.sleep(0.01)

def hook_impl(value):
    return value
"""


def lazy_plugin(folder: PluginFolder, plugin_id: str = "lazy", *, code: str = LAZY, **fields: Any) -> str:
    package = f"{plugin_id.replace('-', '_')}_{next(_counter)}"
    folder.add(
        plugin_id,
        packages=[package],
        files={f"{package}/__init__.py": code},
        **{"class": f"{package}:Plugin"},
        **fields,
    )
    return package


def widget_plugin(folder: PluginFolder) -> None:
    package = f"lazy_{next(_counter)}"
    folder.add(
        "lazy",
        packages=[package],
        files={f"{package}/__init__.py": LAZY},
        extension_points=[{"id": "widgets"}, {"id": "values", "hook": True, "parameters": ["value"]}],
        extensions=[
            {"point": "widgets", "ref": f"{package}:Widget"},
            {"point": "values", "ref": f"{package}:hook_impl"},
        ],
        **{"class": f"{package}:Plugin"},
    )


# ----------------------------------------------------------------- built once, activated once
@pytest.mark.parametrize("timeout", [None, 5.0])
def test_many_threads_loading_one_lazy_extension_get_one_instance(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    widget_plugin(manifold_plugins)
    manager = manifold_plugins.manager(timeout=timeout)
    handle = manager.extension("widgets")
    widgets = in_threads(THREADS, lambda _: handle.load())
    assert len({id(w) for w in widgets}) == 1
    assert events() == ["plugin built", "activate", "widget built"]


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_many_threads_activating_one_plugin_run_activate_once(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    lazy_plugin(manifold_plugins)
    manager = manifold_plugins.manager(timeout=timeout)
    assert in_threads(THREADS, lambda _: manager.activate("lazy")) == [True] * THREADS
    assert events() == ["plugin built", "activate"]


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_many_threads_calling_one_hook_first_load_it_once(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    widget_plugin(manifold_plugins)
    manager = manifold_plugins.manager(timeout=timeout)
    assert in_threads(THREADS, lambda i: manager.hook("values")(value=i)) == [[i] for i in range(THREADS)]
    assert events() == ["plugin built", "activate"]


# ----------------------------------------------------------------- first calls see the discovered manager
FIRST_CALLS: dict[str, Callable[[Manager], object]] = {
    "extensions": lambda m: len(m.extensions("points")),
    "report": lambda m: len(m.report.plugins),
    "load_order": lambda m: len(m.load_order),
    "points": lambda m: len(m.points()),
    "iter": lambda m: len(list(m)),
    "hook": lambda m: len(m.hook("values").implementations),
    "extension": lambda m: m.extension("points").plugin,
    "inspect": lambda m: m.inspect("p-19").state,
}
EXPECTED = {
    "extensions": 20,
    "report": 20,
    "load_order": 20,
    "points": 2,
    "iter": 20,
    "hook": 0,
    "extension": "p-00",
    "inspect": "resolved",
}


@pytest.mark.parametrize("call", sorted(FIRST_CALLS))
def test_concurrent_first_calls_all_see_the_discovered_manager(manifold_plugins: PluginFolder, call: str) -> None:
    for index in range(20):
        points = [{"id": "points"}, {"id": "values", "hook": True}] if index == 0 else []
        manifold_plugins.add(f"p-{index:02}", extension_points=points, extensions=[{"point": "points"}])
    manager = manifold_plugins.manager(cache=False)
    assert in_threads(THREADS, lambda _: FIRST_CALLS[call](manager)) == [EXPECTED[call]] * THREADS


def test_concurrent_first_calls_of_every_kind_together(manifold_plugins: PluginFolder) -> None:
    for index in range(20):
        points = [{"id": "points"}, {"id": "values", "hook": True}] if index == 0 else []
        manifold_plugins.add(f"p-{index:02}", extension_points=points, extensions=[{"point": "points"}])
    manager = manifold_plugins.manager(cache=False)
    calls = sorted(FIRST_CALLS)
    results = in_threads(THREADS, lambda i: FIRST_CALLS[calls[i % len(calls)]](manager))
    assert results == [EXPECTED[calls[i % len(calls)]] for i in range(THREADS)]


# ----------------------------------------------------------------- a rescan, read from other threads
@pytest.mark.parametrize("timeout", [None, 5.0])
def test_readers_during_rescans_see_every_extension_or_every_new_one(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    for index in range(30):
        points = [{"id": "points"}] if index == 0 else []
        manifold_plugins.add(f"p-{index:02}", extension_points=points, extensions=[{"point": "points"}])
    manager = manifold_plugins.manager(timeout=timeout)
    manager.start()
    first = manager.extensions("points")
    stop = threading.Event()
    reading = threading.Semaphore(0)

    def read(index: int) -> set[int]:
        if index == 0:  # the writer, once every reader is reading
            try:
                for _ in range(15):
                    assert reading.acquire(timeout=JOIN)
                for _ in range(4):
                    manager.rescan()
            finally:
                stop.set()
            return {30}
        seen = {len(manager.extensions("points")), len(manager.report.plugins)}
        reading.release()
        while not stop.is_set():
            seen.add(len(manager.extensions("points")))
            seen.add(len(manager.report.plugins))
        return seen

    assert in_threads(16, read) == [{30}] * 16
    assert manager.extensions("points") != first  # made anew, all at once
    assert len(manager.extensions("points")) == 30


# ----------------------------------------------------------------- plugin code calling the manager back
CALLS_BACK = """
import threads_journal

class Plugin:
    def activate(self):
        manager = threads_journal.MANAGER
        threads_journal.EVENTS.append(("outer sees", len(manager.extensions("widgets"))))
        widget = manager.extension("widgets").load()
        threads_journal.EVENTS.append(("outer got", type(widget).__name__))
"""


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_plugin_code_loading_an_extension_from_the_worker_does_not_deadlock(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    widget_plugin(manifold_plugins)
    lazy_plugin(manifold_plugins, "outer", code=CALLS_BACK)
    manager = manifold_plugins.manager(timeout=timeout)
    JOURNAL.MANAGER = manager  # type: ignore[attr-defined]
    assert in_threads(THREADS, lambda _: manager.activate("outer")) == [True] * THREADS
    assert events() == [("outer sees", 1), "plugin built", "activate", "widget built", ("outer got", "Widget")]


def test_a_hanging_plugin_holding_the_lock_delays_other_threads_by_the_time_limit_only(
    manifold_plugins: PluginFolder,
) -> None:
    lazy_plugin(
        manifold_plugins, "slow", code="import time\nclass Plugin:\n    def activate(self):\n        time.sleep(5)\n"
    )
    lazy_plugin(manifold_plugins, "quick")
    manager = manifold_plugins.manager(timeout=0.3)
    results = in_threads(8, lambda i: manager.activate("slow" if i % 2 else "quick"))
    assert results == [i % 2 == 0 for i in range(8)]
    assert manager.inspect("slow").reason.message == "slow timed out: did not finish within 0.3 s"  # type: ignore[union-attr]
