"""Hooks: order, arguments, firstresult, call_safe, async, wrappers, historic calls, monitors, lazy loading."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import sys
import weakref
from types import ModuleType
from typing import Any

import pytest

from manifold import ExtensionError, HookCallError, HookError, HookOutcome, Manager, load_manifest
from manifold.testing import PluginFolder

_counter = itertools.count()

HOOK = "acme.kettle-on"


def plugin(folder: PluginFolder, plugin_id: str, code: str, *extensions: dict[str, Any], **fields: Any) -> str:
    """A plugin with one package whose ``__init__`` is ``code`` and contributions to ``HOOK`` (``ref``
    written as ``:name``); returns the package name."""
    package = f"hk_{plugin_id.replace('.', '_').replace('-', '_')}_{next(_counter)}"
    contributions = [
        {"point": HOOK, **e, **({"ref": package + e["ref"]} if e.get("ref", "").startswith(":") else {})}
        for e in extensions
    ]
    folder.add(
        plugin_id, packages=[package], files={f"{package}/__init__.py": code}, extensions=contributions, **fields
    )
    return package


def kettle_manager(folder: PluginFolder, *, firstresult: bool = False, **options: Any) -> Manager:
    manager = folder.manager(**options)
    manager.add_point(HOOK, hook=True, parameters=["kettle", "temperature"], firstresult=firstresult)
    return manager


def module(package: str) -> ModuleType:
    return sys.modules[package]


# --------------------------------------------------------------------------- order and arguments
def test_calls_by_priority_then_load_order(manifold_plugins: PluginFolder) -> None:
    code = "def on(kettle):\n    return __name__.split('_')[1]\n"
    for pid, priority in [("c", 5), ("a", 0), ("b", 5), ("d", -1)]:
        plugin(manifold_plugins, pid, code, {"ref": ":on", "priority": priority})
    plugin(manifold_plugins, "z", code, {"ref": ":on"})
    plugin(manifold_plugins, "e", code, {"ref": ":on"}, dependencies={"z": "*"})  # e loads after z
    manager = kettle_manager(manifold_plugins)
    assert manager.load_order == ("a", "b", "c", "d", "z", "e")
    assert manager.hook(HOOK)(kettle="k", temperature=90) == ["b", "c", "a", "z", "e", "d"]
    assert [h.plugin for h in manager.extensions(HOOK)] == ["b", "c", "a", "z", "e", "d"]


def test_hook_points_declared_in_a_manifest(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add(
        "acme",
        extension_points=[{"id": HOOK, "hook": True, "parameters": ["kettle", "temperature"], "firstresult": True}],
    )
    plugin(
        manifold_plugins, "tea", "def on(kettle, temperature):\n    return f'tea at {temperature}'\n", {"ref": ":on"}
    )
    manager = manifold_plugins.manager()
    assert manager.hook(HOOK)(kettle="k", temperature=80) == "tea at 80"


def test_an_implementation_takes_any_subset_of_the_parameters(manifold_plugins: PluginFolder) -> None:
    code = """
def nothing():
    return "nothing"

def reversed_order(temperature, kettle):
    return f"{temperature} {kettle}"

def by_keyword(*, temperature):
    return f"kw {temperature}"

def own_default(kettle, colour="red"):
    return f"{kettle} {colour}"

def every(**kwargs):
    return sorted(kwargs.items())

class Counter:
    def __init__(self):
        self.calls = 0
    def __call__(self, kettle):
        self.calls += 1
        return f"call {self.calls}"
"""
    plugin(
        manifold_plugins,
        "a",
        code,
        *({"ref": f":{name}", "priority": -i} for i, name in enumerate(["nothing", "reversed_order", "by_keyword"])),
        *({"ref": f":{name}", "priority": -3 - i} for i, name in enumerate(["own_default", "every", "Counter"])),
    )
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    assert caller(kettle="k", temperature=90) == [
        "nothing",
        "90 k",
        "kw 90",
        "k red",
        [("kettle", "k"), ("temperature", 90)],
        "call 1",
    ]
    assert [(i.positional, i.keywords) for i in caller.implementations] == [
        ((), ()),
        (("temperature", "kettle"), ()),
        ((), ("temperature",)),
        (("kettle",), ()),
        ((), ("kettle", "temperature")),
        (("kettle",), ()),
    ]
    assert caller(kettle="k", temperature=90)[-1] == "call 2"  # a class is instantiated once


def test_an_implementation_asking_for_an_undeclared_parameter_is_rejected(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return 'a'\n", {"ref": ":on"})
    bad = plugin(manifold_plugins, "b", "def on(kettle, colour):\n    return 'b'\n", {"ref": ":on"})
    manager = kettle_manager(manifold_plugins)
    handle = manager.extensions(HOOK)[1]
    with caplog.at_level(logging.ERROR, logger="manifold"):
        assert manager.hook(HOOK)(kettle="k", temperature=1) == ["a"]
    message = (
        f"{manifold_plugins.root / 'b' / 'plugin.toml'}: extensions[0].ref: {bad}:on of b takes parameter 'colour', "
        "which hook acme.kettle-on does not declare (its parameters: kettle, temperature)"
    )
    assert [r.getMessage() for r in caplog.records] == [message]
    assert handle.error is not None
    assert (handle.plugin, handle.error.phase, handle.error.message) == ("b", "extension", message)
    assert manager.inspect("b").state == "active"  # the plugin is fine; only that extension failed
    assert [h.plugin for h in manager.extensions(HOOK)] == ["a"]
    with pytest.raises(ExtensionError) as raised:
        handle.load()
    assert str(raised.value) == message
    assert manager.hook(HOOK)(kettle="k", temperature=2) == ["a"]


def test_other_unusable_implementations_are_rejected(manifold_plugins: PluginFolder) -> None:
    code = "VALUE = 3\ndef plain(kettle):\n    return 1\n"
    package = plugin(
        manifold_plugins, "a", code, {"ref": ":VALUE"}, {"ref": ":plain", "wrapper": True}, {"config": {"x": 1}}
    )
    manager = kettle_manager(manifold_plugins)
    handles = manager.extensions(HOOK)
    assert manager.hook(HOOK)(kettle="k", temperature=1) == []
    errors = [h.error.message for h in handles if h.error]
    file = manifold_plugins.root / "a" / "plugin.toml"
    assert errors == [
        f"{file}: extensions[0].ref: {package}:VALUE of a is not callable (a int); hook acme.kettle-on calls its "
        "contributions",
        f"{file}: extensions[1].ref: {package}:plain of a is a wrapper (wrapper = true) but not a generator function; "
        "it must yield once",
        f"{file}: extensions[2]: a contribution to hook acme.kettle-on needs a ref naming the callable to call",
    ]


def test_missing_unknown_and_positional_arguments_are_errors(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return kettle\n", {"ref": ":on"})
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    with pytest.raises(HookCallError) as raised:
        caller(kettle="k")
    assert (
        str(raised.value) == "hook acme.kettle-on: missing argument 'temperature' (its parameters: kettle, temperature)"
    )
    assert raised.value.hook == HOOK
    with pytest.raises(HookCallError) as raised:
        caller()
    assert str(raised.value) == (
        "hook acme.kettle-on: missing arguments 'kettle', 'temperature' (its parameters: kettle, temperature)"
    )
    with pytest.raises(HookCallError) as raised:
        caller(kettle="k", temperature=1, colour="red")
    assert str(raised.value) == "hook acme.kettle-on: unknown argument 'colour' (its parameters: kettle, temperature)"
    with pytest.raises(TypeError) as type_error:  # HookCallError is a TypeError
        caller("k", temperature=1)
    assert str(type_error.value) == (
        "hook acme.kettle-on: takes keyword arguments only, got 1 positional; missing argument 'kettle' "
        "(its parameters: kettle, temperature)"
    )
    for call in (caller.call_safe, caller.call_historic):
        with pytest.raises(HookCallError, match="missing argument 'kettle'"):
            call(temperature=1)
    assert caller(kettle="k", temperature=1) == ["k"]


def test_hook_needs_a_hook_point(manifold_plugins: PluginFolder) -> None:
    manager = manifold_plugins.manager()
    manager.add_point("acme.menu")
    with pytest.raises(ExtensionError) as raised:
        manager.hook("acme.menu")
    assert str(raised.value) == "extension point 'acme.menu' is not a hook (declare it with hook = true)"
    with pytest.raises(ExtensionError) as raised:
        manager.hook("acme.nothing")
    assert str(raised.value) == "unknown extension point 'acme.nothing'"
    remove = manager.add_point("acme.gone", hook=True)
    caller = manager.hook("acme.gone")
    assert caller() == []
    remove()
    with pytest.raises(HookError) as gone:
        caller()
    assert str(gone.value) == "hook acme.gone: no point of that id is declared"


# --------------------------------------------------------------------------- firstresult, errors, call_safe
def test_firstresult_stops_at_the_first_answer(manifold_plugins: PluginFolder) -> None:
    code = (
        "calls = []\ndef on(kettle):\n    calls.append(__name__)\n    return None if kettle == 'none' else __name__\n"
    )
    first = plugin(manifold_plugins, "a", "calls = []\ndef on():\n    calls.append(1)\n", {"ref": ":on", "priority": 9})
    second = plugin(manifold_plugins, "b", code, {"ref": ":on", "priority": 5})
    third = plugin(manifold_plugins, "c", code, {"ref": ":on"})
    caller = kettle_manager(manifold_plugins, firstresult=True).hook(HOOK)
    assert caller(kettle="k", temperature=1) == second
    assert (module(first).calls, module(second).calls, module(third).calls) == ([1], [second], [])
    assert caller(kettle="none", temperature=1) is None
    assert module(third).calls == [third]


def test_an_exception_propagates_with_a_note_naming_the_plugin(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", "def on():\n    return 'a'\n", {"ref": ":on", "priority": 1})
    bad = plugin(
        manifold_plugins, "b", "def boom(kettle):\n    raise ValueError(f'no water in {kettle}')\n", {"ref": ":boom"}
    )
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    with pytest.raises(ValueError, match="no water in k") as raised:
        caller(kettle="k", temperature=1)
    assert type(raised.value) is ValueError
    assert raised.value.__notes__ == [f"hook acme.kettle-on: raised by b ({bad}:boom)"]
    assert raised.traceback[-1].name == "boom"


def test_call_safe_logs_and_skips_implementations_that_raise(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return 'a'\n", {"ref": ":on", "priority": 2})
    bad = plugin(
        manifold_plugins, "b", "def boom(kettle):\n    raise ValueError('cold')\n", {"ref": ":boom", "priority": 1}
    )
    plugin(manifold_plugins, "c", "def on(kettle):\n    return None\n", {"ref": ":on"})
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        outcome = caller.call_safe(kettle="k", temperature=1)
    assert outcome.result == ["a"]
    assert outcome.successes == (("a", "a"), ("c", None))
    assert [(f.plugin, type(f.error), str(f.error)) for f in outcome.failures] == [("b", ValueError, "cold")]
    assert not outcome.ok
    assert [r.getMessage() for r in caplog.records] == [
        f"hook acme.kettle-on: b ({bad}:boom) raised ValueError: cold; skipped"
    ]
    assert caplog.records[0].exc_info is not None


# --------------------------------------------------------------------------- async
ASYNC = """
import asyncio
import gc
ORDER = []

async def slow(kettle):
    await asyncio.sleep(0)
    ORDER.append("slow")
    return "slow " + kettle

def quick(kettle):
    ORDER.append("quick")
    return "quick " + kettle
"""


def test_acall_awaits_async_implementations_in_order(manifold_plugins: PluginFolder) -> None:
    package = plugin(manifold_plugins, "a", ASYNC, {"ref": ":slow", "priority": 1}, {"ref": ":quick"})
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    assert asyncio.run(caller.acall(kettle="k", temperature=1)) == ["slow k", "quick k"]
    assert module(package).ORDER == ["slow", "quick"]
    with pytest.raises(HookCallError) as raised:
        caller(kettle="k", temperature=1)
    assert str(raised.value) == (
        f"hook acme.kettle-on has async implementations (a ({package}:slow)); await its acall() instead"
    )
    with pytest.raises(HookCallError) as raised:
        caller.call_safe(kettle="k", temperature=1)
    assert str(raised.value) == (
        f"hook acme.kettle-on has async implementations (a ({package}:slow)); await its acall_safe() instead"
    )
    with pytest.raises(HookCallError, match="missing argument 'kettle'"):
        asyncio.run(caller.acall(temperature=1))


def test_acall_runs_sync_hooks_firstresult_and_wrappers(manifold_plugins: PluginFolder) -> None:
    code = ASYNC + "\ndef wrap():\n    result = yield\n    return result.upper()\n"
    plugin(
        manifold_plugins,
        "a",
        code,
        {"ref": ":quick", "priority": 1},
        {"ref": ":slow"},
        {"ref": ":wrap", "wrapper": True},
    )
    caller = kettle_manager(manifold_plugins, firstresult=True).hook(HOOK)
    assert asyncio.run(caller.acall(kettle="k", temperature=1)) == "QUICK K"


ASYNC_SAFE = """
import asyncio

async def slow(kettle):
    await asyncio.sleep(0)
    return "slow " + kettle

async def sour(kettle):
    await asyncio.sleep(0)
    raise LookupError("sour " + kettle)

def quick(kettle):
    return None

def broken(kettle):
    raise ValueError("broken " + kettle)
"""


def test_acall_safe_runs_every_implementation_and_returns_each_plugins_outcome(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    a = plugin(manifold_plugins, "a", ASYNC_SAFE, {"ref": ":sour", "priority": 4}, {"ref": ":slow", "priority": 3})
    b = plugin(manifold_plugins, "b", ASYNC_SAFE, {"ref": ":broken", "priority": 2}, {"ref": ":quick", "priority": 1})
    plugin(manifold_plugins, "c", ASYNC_SAFE, {"ref": ":slow"})
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        outcome = asyncio.run(caller.acall_safe(kettle="k", temperature=1))
    assert outcome.result == ["slow k", "slow k"]
    assert outcome.successes == (("a", "slow k"), ("b", None), ("c", "slow k"))
    assert [(f.plugin, type(f.error), str(f.error), str(f.handle.ref)) for f in outcome.failures] == [
        ("a", LookupError, "sour k", f"{a}:sour"),
        ("b", ValueError, "broken k", f"{b}:broken"),
    ]
    assert not outcome.ok
    assert [r.getMessage() for r in caplog.records] == [
        f"hook acme.kettle-on: a ({a}:sour) raised LookupError: sour k; skipped",
        f"hook acme.kettle-on: b ({b}:broken) raised ValueError: broken k; skipped",
    ]


def test_acall_safe_with_firstresult_wrappers_and_monitors(manifold_plugins: PluginFolder) -> None:
    code = ASYNC_SAFE + "\ndef wrap():\n    result = yield\n    return result.upper()\n"
    plugin(
        manifold_plugins,
        "a",
        code,
        {"ref": ":sour", "priority": 3},
        {"ref": ":quick", "priority": 2},
        {"ref": ":slow", "priority": 1},
        {"ref": ":broken"},
        {"ref": ":wrap", "wrapper": True},
    )
    manager = kettle_manager(manifold_plugins, firstresult=True)
    seen: list[Any] = []
    manager.monitor_hooks(after=lambda outcome, hook, impls, kwargs: seen.append(outcome.result))
    caller = manager.hook(HOOK)
    with pytest.raises(LookupError, match="sour k"):
        asyncio.run(caller.acall(kettle="k", temperature=1))  # a plain call stops at the first error
    outcome = asyncio.run(caller.acall_safe(kettle="k", temperature=1))
    assert (outcome.result, outcome.successes) == ("SLOW K", (("a", None), ("a", "slow k")))
    assert [str(f.error) for f in outcome.failures] == ["sour k"]
    assert seen == [None, outcome]
    with pytest.raises(HookCallError, match="unknown argument 'spout'"):
        asyncio.run(caller.acall_safe(kettle="k", temperature=1, spout=2))


def test_acall_safe_of_a_sync_hook_matches_call_safe(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", ASYNC_SAFE, {"ref": ":broken", "priority": 1}, {"ref": ":quick"})
    caller = kettle_manager(manifold_plugins).hook(HOOK)
    with_loop = asyncio.run(caller.acall_safe(kettle="k", temperature=1))
    plain = caller.call_safe(kettle="k", temperature=1)
    assert (with_loop.result, with_loop.successes) == (plain.result, plain.successes) == ([], (("a", None),))
    assert [str(f.error) for f in with_loop.failures] == [str(f.error) for f in plain.failures] == ["broken k"]


# --------------------------------------------------------------------------- wrappers
WRAPPERS = """
EVENTS = []

def outer(kettle):
    EVENTS.append("outer before")
    result = yield
    EVENTS.append(f"outer after {result}")
    return result + [f"checked {kettle}"]

def inner():
    EVENTS.append("inner before")
    result = yield
    EVENTS.append("inner after")
    return result

def on(kettle):
    EVENTS.append("on")
    return kettle
"""


def test_wrappers_run_around_the_implementations_and_may_change_the_result(manifold_plugins: PluginFolder) -> None:
    package = plugin(
        manifold_plugins,
        "a",
        WRAPPERS,
        {"ref": ":inner", "wrapper": True},
        {"ref": ":on", "priority": 20},
        {"ref": ":outer", "wrapper": True, "priority": 10},
    )
    manager = kettle_manager(manifold_plugins)
    assert [h.wrapper for h in manager.extensions(HOOK)] == [False, True, True]
    assert manager.hook(HOOK)(kettle="k", temperature=1) == ["k", "checked k"]
    assert module(package).EVENTS == ["outer before", "inner before", "on", "inner after", "outer after ['k']"]


def test_a_wrapper_sees_the_exception_of_the_implementations(manifold_plugins: PluginFolder) -> None:
    code = """
SEEN = []

def recover(kettle):
    try:
        yield
    except ValueError as e:
        SEEN.append(f"recovered from {e}")
        return ["recovered"]

def watch():
    try:
        return (yield)
    except ValueError as e:
        SEEN.append(f"saw {e}")
        raise

def boom(kettle):
    raise ValueError("cold " + kettle)
"""
    package = plugin(
        manifold_plugins,
        "a",
        code,
        {"ref": ":boom"},
        {"ref": ":watch", "wrapper": True},
        {"ref": ":recover", "wrapper": True, "priority": 1},  # the outermost
    )
    manager = kettle_manager(manifold_plugins)
    assert manager.hook(HOOK)(kettle="k", temperature=1) == ["recovered"]
    assert module(package).SEEN == ["saw cold k", "recovered from cold k"]


def test_a_wrapper_that_raises_after_the_yield_is_named(manifold_plugins: PluginFolder) -> None:
    code = "def on():\n    return 1\n\ndef check():\n    yield\n    raise LookupError('too hot')\n"
    plugin(manifold_plugins, "a", code, {"ref": ":on"})
    package = plugin(manifold_plugins, "b", code, {"ref": ":check", "wrapper": True})
    with pytest.raises(LookupError, match="too hot") as raised:
        kettle_manager(manifold_plugins).hook(HOOK)(kettle="k", temperature=1)
    assert raised.value.__notes__ == [f"hook acme.kettle-on: raised by b ({package}:check)"]


def test_a_wrapper_that_lets_the_exception_through(manifold_plugins: PluginFolder) -> None:
    code = "def watch():\n    return (yield)\n\ndef boom():\n    raise KeyError('k')\n"
    package = plugin(manifold_plugins, "a", code, {"ref": ":boom"}, {"ref": ":watch", "wrapper": True})
    with pytest.raises(KeyError) as raised:
        kettle_manager(manifold_plugins).hook(HOOK)(kettle="k", temperature=1)
    assert raised.value.__notes__ == [f"hook acme.kettle-on: raised by a ({package}:boom)"]


@pytest.mark.parametrize(
    ("name", "what"), [("never", "did not yield"), ("twice", "yielded a second time")], ids=["never", "twice"]
)
def test_a_wrapper_must_yield_once(manifold_plugins: PluginFolder, name: str, what: str) -> None:
    code = "def never():\n    if False:\n        yield\n\ndef twice():\n    yield\n    yield\n"
    package = plugin(manifold_plugins, "a", code, {"ref": f":{name}", "wrapper": True})
    with pytest.raises(RuntimeError) as raised:
        kettle_manager(manifold_plugins).hook(HOOK)(kettle="k", temperature=1)
    assert str(raised.value) == (
        f"hook acme.kettle-on: the wrapper a ({package}:{name}) {what}; a wrapper must yield exactly once"
    )


def test_call_safe_with_wrappers(manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture) -> None:
    code = WRAPPERS + "\ndef broken(kettle):\n    raise OSError('no power')\n    yield\n"
    plugin(
        manifold_plugins,
        "a",
        code,
        {"ref": ":on"},
        {"ref": ":outer", "wrapper": True},
        {"ref": ":broken", "wrapper": True},
    )
    with caplog.at_level(logging.CRITICAL, logger="manifold"):
        outcome = kettle_manager(manifold_plugins).hook(HOOK).call_safe(kettle="k", temperature=1)
    assert outcome.result == ["k", "checked k"]
    assert [(f.plugin, str(f.error)) for f in outcome.failures] == [("a", "no power")]


def test_the_wrapper_key_in_the_manifest(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", WRAPPERS, {"ref": ":outer", "wrapper": True}, {"ref": ":on"})
    manifest = load_manifest(manifold_plugins.root / "a")
    assert [e.wrapper for e in manifest.extensions] == [True, False]


# --------------------------------------------------------------------------- historic calls
HISTORIC = "def configure(config):\n    return f\"{__name__.split('_')[1]} got {config}\"\n"


def test_historic_calls_are_replayed_to_plugins_activated_later(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "eager", HISTORIC, {"point": "acme.configure", "ref": ":configure"}, activation="eager")
    lazy = plugin(manifold_plugins, "lazy", HISTORIC, {"point": "acme.configure", "ref": ":configure"})
    manager = manifold_plugins.manager()
    manager.add_point("acme.configure", hook=True, parameters=["config"], firstresult=True)
    manager.start()
    got: list[str] = []
    caller = manager.hook("acme.configure")
    caller.call_historic(result_callback=got.append, config="c1")
    caller.call_historic(config="c2")  # no callback: the call is replayed all the same
    assert got == ["eager got c1"]
    assert lazy not in sys.modules  # a historic call imports nothing

    manager.activate("lazy")
    assert got == ["eager got c1", "lazy got c1"]
    assert caller(config="c3") == "eager got c3"  # firstresult applies to plain calls

    late = plugin(manifold_plugins, "late", HISTORIC, {"point": "acme.configure", "ref": ":configure", "priority": 9})
    assert manager.rescan().added == ("late",)
    assert late not in sys.modules
    assert caller(config="c4") == "late got c4"  # the call activates it; it got c1 first
    assert got == ["eager got c1", "lazy got c1", "late got c1"]

    manager.unload("late")
    manager.activate("late")  # fresh code gets the history again
    assert got[-1] == "late got c1"


def test_a_failing_replay_is_logged_and_activation_goes_on(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    bad = plugin(
        manifold_plugins,
        "bad",
        "def configure(config):\n    raise ValueError(config)\n",
        {"point": "acme.configure", "ref": ":configure"},
    )
    manager = manifold_plugins.manager()
    manager.add_point("acme.configure", hook=True, parameters=["config"])
    manager.hook("acme.configure").call_historic(config="c1")
    with caplog.at_level(logging.ERROR, logger="manifold"):
        assert manager.activate("bad")
    assert [r.getMessage() for r in caplog.records] == [
        f"hook acme.configure: replaying a historic call to bad ({bad}:configure) raised"
    ]


# --------------------------------------------------------------------------- monitors
def test_monitors_see_every_call_until_removed(manifold_plugins: PluginFolder) -> None:
    plugin(
        manifold_plugins,
        "a",
        "def on(kettle):\n    if kettle == 'bad':\n        raise ValueError(kettle)\n    return kettle\n",
        {"ref": ":on"},
    )
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    assert caller(kettle="k", temperature=1) == ["k"]
    seen: list[tuple[Any, ...]] = []

    def before(hook: str, impls: tuple[Any, ...], kwargs: Any) -> None:
        seen.append(("before", hook, [i.plugin for i in impls], dict(kwargs)))

    def after(outcome: HookOutcome, hook: str, impls: tuple[Any, ...], kwargs: Any) -> None:
        error = outcome.exception
        seen.append(("after", hook, outcome.result, None if error is None else repr(error)))

    remove = manager.monitor_hooks(before=before, after=after)
    assert caller(kettle="k", temperature=1) == ["k"]
    with pytest.raises(ValueError, match="bad"):
        caller(kettle="bad", temperature=2)
    assert caller.call_safe(kettle="k", temperature=3).result == ["k"]
    assert seen[:4] == [
        ("before", HOOK, ["a"], {"kettle": "k", "temperature": 1}),
        ("after", HOOK, ["k"], None),
        ("before", HOOK, ["a"], {"kettle": "bad", "temperature": 2}),
        ("after", HOOK, None, "ValueError('bad')"),
    ]
    assert [s[0] for s in seen[4:]] == ["before", "after"]
    remove()
    remove()  # twice is harmless
    assert caller(kettle="k", temperature=4) == ["k"]
    assert len(seen) == 6
    assert HookOutcome(["k"]).get() == ["k"]


# --------------------------------------------------------------------------- lazy loading and invalidation
def test_a_call_imports_only_the_plugins_that_implement_the_hook_once(manifold_plugins: PluginFolder) -> None:
    code = "IMPORTED = 1\ndef on(kettle):\n    return __name__\n"
    a = plugin(manifold_plugins, "a", code, {"ref": ":on"})
    b = plugin(manifold_plugins, "b", code, {"ref": ":on"})
    other = plugin(manifold_plugins, "other", code, {"point": "acme.elsewhere", "ref": ":on"})
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    before = set(sys.modules)
    assert caller(kettle="k", temperature=1) == [a, b]
    assert {m for m in set(sys.modules) - before if m.startswith("hk_")} == {a, b}
    assert other not in sys.modules
    assert manager.inspect("other").state == "resolved"
    loaded = {name: sys.modules[name] for name in (a, b)}
    count = len(sys.modules)
    for _ in range(3):
        assert caller(kettle="k", temperature=1) == [a, b]
    assert len(sys.modules) == count
    assert all(sys.modules[name] is m for name, m in loaded.items())


def test_the_call_is_compiled_once_until_the_implementations_change(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return 'a'\n", {"ref": ":on"})
    manager = kettle_manager(manifold_plugins)
    lookups: list[str] = []
    extensions = manager.extensions

    def counting(point_id: str) -> Any:
        lookups.append(point_id)
        return extensions(point_id)

    monkeypatch.setattr(manager, "extensions", counting)
    caller = manager.hook(HOOK)
    assert caller(kettle="k", temperature=1) == ["a"]  # compiles (reading again after activating a)
    assert lookups == [HOOK, HOOK]
    for _ in range(100):
        assert caller(kettle="k", temperature=1) == ["a"]
    manager.add_point("acme.other")  # another point: this caller stays compiled
    caller(kettle="k", temperature=1)
    assert lookups == [HOOK, HOOK]
    plugin(manifold_plugins, "late", "def on():\n    return 'late'\n", {"ref": ":on"})
    manager.rescan()  # the extensions changed: compiled again on the next call
    assert caller(kettle="k", temperature=1) == ["a", "late"]
    assert len(lookups) > 2


def test_deactivate_unload_and_remove_change_the_call(manifold_plugins: PluginFolder) -> None:
    code = "def on(kettle):\n    return __name__.split('_')[1]\n"
    plugin(manifold_plugins, "a", code, {"ref": ":on"})
    b = plugin(manifold_plugins, "b", code, {"ref": ":on"})
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    assert caller(kettle="k", temperature=1) == ["a", "b"]
    manager.deactivate("b")
    assert caller(kettle="k", temperature=1) == ["a"]  # switched off by the host: not activated again
    assert manager.inspect("b").state == "inactive"
    manager.activate("b")
    assert caller(kettle="k", temperature=1) == ["a", "b"]
    old = sys.modules[b]
    assert b in manager.unload("b")
    assert caller(kettle="k", temperature=1) == ["a", "b"]  # imported again, lazily
    assert sys.modules[b] is not old
    manager.remove("b")
    assert caller(kettle="k", temperature=1) == ["a"]


def test_a_plugin_that_fails_to_activate_is_left_out(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return 'a'\n", {"ref": ":on"})
    plugin(manifold_plugins, "b", "raise ImportError('broken')\ndef on(kettle):\n    return 'b'\n", {"ref": ":on"})
    manager = kettle_manager(manifold_plugins)
    assert manager.hook(HOOK)(kettle="k", temperature=1) == ["a"]
    assert manager.inspect("b").state == "failed"


def test_safe_mode_runs_no_hook(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "a", "def on(kettle):\n    return 'a'\n", {"ref": ":on"}, activation="eager")
    manager = kettle_manager(manifold_plugins, safe_mode=True)
    manager.start()
    assert manager.hook(HOOK)(kettle="k", temperature=1) == []


def test_parameters_that_are_not_plain_names_take_the_general_path(manifold_plugins: PluginFolder) -> None:
    code = "def on(**kwargs):\n    return sorted(kwargs)\n\ndef wrap():\n    return (yield) + ['wrapped']\n"
    plugin(
        manifold_plugins,
        "a",
        code,
        {"point": "acme.odd", "ref": ":on"},
        {"point": "acme.odd", "ref": ":wrap", "wrapper": True},
    )
    manager = manifold_plugins.manager()
    manager.add_point("acme.odd", hook=True, parameters=["class", "_h_r"])
    caller = manager.hook("acme.odd")
    assert caller(**{"class": 1, "_h_r": 2}) == [["_h_r", "class"], "wrapped"]
    with pytest.raises(HookCallError, match="missing argument 'class'"):
        caller(_h_r=2)


def test_an_unloaded_plugin_is_not_kept_alive_by_a_compiled_caller(manifold_plugins: PluginFolder) -> None:
    code = "def on(kettle):\n    return 1\n\ndef wrap():\n    return (yield)\n"
    package = plugin(manifold_plugins, "a", code, {"ref": ":on"}, {"ref": ":wrap", "wrapper": True})
    manager = kettle_manager(manifold_plugins)
    caller = manager.hook(HOOK)
    assert caller(kettle="k", temperature=1) == [1]
    function = weakref.ref(module(package).on)
    manager.unload("a")
    gc.collect()
    assert function() is None
    assert caller(kettle="k", temperature=1) == [1]  # imported again
