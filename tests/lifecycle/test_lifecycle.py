"""Import, activation, failures, timeouts, unloading and rescans, as a host sees them."""

from __future__ import annotations

import gc
import itertools
import logging
import sys
import threading
import time
import types
import weakref
from pathlib import Path
from typing import Any

import pytest

from manifold import ExtensionError, LoadReport, Manager, PluginInfo, StrictModeError
from manifold.testing import PluginFolder

_counter = itertools.count()

# A plugin class that records its lifecycle calls into the host-visible list EVENTS of module `journal`.
PLUGIN_CODE = """
from lifecycle_journal import EVENTS

class Plugin:
    def __init__(self, context):
        self.context = context
        EVENTS.append(("init", context.id))

    def activate(self):
        EVENTS.append(("activate", self.context.id))

    def deactivate(self):
        EVENTS.append(("deactivate", self.context.id))

def hello():
    return "hello from " + __name__
"""

EVENTS: list[tuple[str, str]] = []
_JOURNAL = types.ModuleType("lifecycle_journal")
_JOURNAL.EVENTS = EVENTS  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _journal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugin code records its lifecycle calls in EVENTS, through a module the test provides."""
    monkeypatch.setitem(sys.modules, "lifecycle_journal", _JOURNAL)
    EVENTS.clear()


def unique(prefix: str) -> str:
    return f"{prefix}_{next(_counter)}_{int(time.time() * 1000) % 100000}"


def add_code_plugin(
    folder: PluginFolder,
    plugin_id: str,
    *,
    code: str = PLUGIN_CODE,
    activation: str = "lazy",
    **fields: Any,
) -> str:
    package = unique(plugin_id.replace(".", "_").replace("-", "_"))
    folder.add(
        plugin_id,
        packages=[package],
        activation=activation,
        files={f"{package}/__init__.py": code},
        **{"class": f"{package}:Plugin"},
        **fields,
    )
    return package


def test_start_activates_eager_plugins_and_their_dependencies_only(manifold_plugins: PluginFolder) -> None:
    base = add_code_plugin(manifold_plugins, "base")
    app = add_code_plugin(manifold_plugins, "app", activation="eager", dependencies={"base": "*"})
    lazy = add_code_plugin(manifold_plugins, "lazy")
    manager = manifold_plugins.manager()
    report = manager.start()
    assert EVENTS == [("init", "base"), ("activate", "base"), ("init", "app"), ("activate", "app")]
    assert report.active == ["app", "base"][::-1]
    assert report.plugins["lazy"].state == "resolved"
    assert lazy not in sys.modules
    assert base in sys.modules
    assert app in sys.modules


def test_activate_all_in_load_order_and_deactivate_all_in_reverse(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "c", dependencies={"b": "*"})
    add_code_plugin(manifold_plugins, "b", dependencies={"a": "*"})
    add_code_plugin(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    manager.activate_all()
    manager.deactivate_all()
    assert [e for e in EVENTS if e[0] != "init"] == [
        ("activate", "a"),
        ("activate", "b"),
        ("activate", "c"),
        ("deactivate", "c"),
        ("deactivate", "b"),
        ("deactivate", "a"),
    ]
    assert {info.state for info in manager.report.plugins.values()} == {"inactive"}


def test_deactivate_one_deactivates_its_dependents_first(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "b", dependencies={"a": "*"})
    add_code_plugin(manifold_plugins, "c", dependencies={"b": "*"})
    add_code_plugin(manifold_plugins, "d")
    manager = manifold_plugins.manager()
    manager.activate_all()
    EVENTS.clear()
    assert manager.deactivate("a")
    assert EVENTS == [("deactivate", "c"), ("deactivate", "b"), ("deactivate", "a")]
    assert manager.inspect("d").state == "active"
    assert manager.activate("c")
    assert [e for e in EVENTS if e[0] == "activate"] == [
        ("activate", "a"),
        ("activate", "b"),
        ("activate", "c"),
    ]


def test_context_carries_identity_settings_logger_and_host_versions(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(
        manifold_plugins,
        "acme.kettle",
        settings_schema={"properties": {"watts": {"type": "integer", "default": 2000}}},
        version="1.4.0",
    )
    manager = manifold_plugins.manager(app="acme", app_version="3.1", api_version="1.2")
    assert manager.activate("acme.kettle")
    context = manager.plugin("acme.kettle").context
    assert (
        context.id,
        str(context.version),
        context.app,
        str(context.app_version),
        str(context.api_version),
    ) == (
        "acme.kettle",
        "1.4.0",
        "acme",
        "3.1",
        "1.2",
    )
    assert dict(context.settings) == {"watts": 2000}
    assert context.logger.name == "manifold.plugins.acme.kettle"
    assert context.root.joinpath("plugin.toml").read_text().startswith("[plugin]")


@pytest.mark.parametrize(
    ("code", "phase", "words"),
    [
        ("raise ImportError('no serial port library')\n", "import", "ImportError: no serial port library"),
        (
            "class Plugin:\n    def __init__(self, context):\n        1 / 0\n",
            "construct",
            "ZeroDivisionError: ",
        ),
        (
            "class Plugin:\n    def activate(self):\n        raise SystemExit(3)\n",
            "activate",
            "SystemExit: 3",
        ),
        ("class Thing: ...\n", "import", "AttributeError: "),
    ],
)
def test_failure_in_each_phase_is_recorded_and_blocks_dependents_only(
    manifold_plugins: PluginFolder, code: str, phase: str, words: str
) -> None:
    add_code_plugin(manifold_plugins, "bad", code=code)
    add_code_plugin(manifold_plugins, "needs-bad", dependencies={"bad": "*"})
    add_code_plugin(manifold_plugins, "likes-bad", optional_dependencies={"bad": "*"})
    add_code_plugin(manifold_plugins, "good")
    failures: list[PluginInfo] = []
    manager = manifold_plugins.manager()
    manager.on_failed(failures.append)
    report = manager.activate_all()
    bad = report.plugins["bad"]
    assert bad.state == "failed"
    assert bad.reason is not None
    assert (bad.reason.code, bad.reason.phase) == ("failed", phase)
    assert bad.reason.message.startswith(f"bad failed in {phase}: {words}")
    assert "Traceback (most recent call last)" in bad.reason.traceback
    assert [f.id for f in failures] == ["bad"]
    needs = report.plugins["needs-bad"]
    assert (needs.state, needs.reason.code if needs.reason else None) == (
        "unresolved",
        "dependency-unavailable",
    )
    assert needs.reason is not None
    assert needs.reason.message.startswith("needs-bad is unavailable because bad is unavailable: bad failed in")
    assert report.plugins["likes-bad"].state == "active"
    assert report.plugins["good"].state == "active"


def test_traceback_shows_the_plugins_real_file(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(
        manifold_plugins,
        "bad",
        code="class Plugin:\n    def activate(self):\n        raise ValueError('x')\n",
    )
    manager = manifold_plugins.manager()
    manager.activate("bad")
    reason = manager.inspect("bad").reason
    assert reason is not None
    assert f'File "{manifold_plugins.root}/bad/{package}/__init__.py", line 3, in activate' in reason.traceback


def test_hanging_activation_times_out_and_the_rest_go_on(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(
        manifold_plugins,
        "slow",
        code="import time\nclass Plugin:\n    def activate(self):\n        time.sleep(5)\n",
    )
    add_code_plugin(manifold_plugins, "quick")
    manager = manifold_plugins.manager(timeout=0.2)
    began = time.monotonic()
    report = manager.activate_all()
    assert time.monotonic() - began < 2
    slow = report.plugins["slow"]
    assert slow.reason is not None
    assert (slow.state, slow.reason.phase, slow.reason.message) == (
        "failed",
        "timeout",
        "slow timed out: did not finish within 0.2 s",
    )
    assert report.plugins["quick"].state == "active"


def test_async_activate_and_deactivate_are_awaited(manifold_plugins: PluginFolder) -> None:
    code = PLUGIN_CODE.replace("    def activate(self):", "    async def activate(self):").replace(
        "    def deactivate(self):", "    async def deactivate(self):"
    )
    add_code_plugin(manifold_plugins, "aio", code=code)
    for timeout in (None, 5.0):
        EVENTS.clear()
        manager = manifold_plugins.manager(timeout=timeout)
        manager.activate("aio")
        manager.deactivate("aio")
        assert EVENTS == [("init", "aio"), ("activate", "aio"), ("deactivate", "aio")]
        manager.close()


def test_safe_mode_imports_nothing(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(manifold_plugins, "a", activation="eager")
    manager = manifold_plugins.manager(safe_mode=True)
    report = manager.start()
    assert report.plugins["a"].state == "resolved"
    assert not manager.activate("a")
    assert package not in sys.modules
    assert EVENTS == []


def test_strict_mode_raises_for_required_plugins_only(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "bad", code="raise RuntimeError('broken')\n", activation="eager")
    add_code_plugin(manifold_plugins, "optional-bad", code="raise RuntimeError('broken')\n", activation="eager")
    add_code_plugin(manifold_plugins, "good", activation="eager")
    manager = manifold_plugins.manager(strict=True, required=["good", "bad", "ghost"])
    with pytest.raises(StrictModeError) as raised:
        manager.start()
    assert sorted(raised.value.plugins) == ["bad", "ghost"]
    assert str(raised.value) == (
        "required plugins are not active: bad: failed: bad failed in import: RuntimeError: broken; "
        "ghost: not-found: ghost is in no source"
    )
    assert manager.inspect("good").state == "active"
    assert manager.inspect("optional-bad").state == "failed"
    relaxed = manifold_plugins.manager(required=["bad"])
    assert relaxed.start().plugins["bad"].state == "failed"


def test_listeners_and_unsubscribe(manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture) -> None:
    add_code_plugin(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    seen: list[tuple[str, str, str]] = []
    stop = manager.on_activated(lambda info: seen.append(("on", info.id, info.state)))
    manager.on_deactivated(lambda info: seen.append(("off", info.id, info.state)))

    def broken(info: PluginInfo) -> None:
        raise RuntimeError("listener bug")

    manager.on_activated(broken)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        manager.activate("a")
    assert caplog.messages == ["an on_activated listener raised for a"]
    manager.deactivate("a")
    stop()
    manager.activate("a")
    assert seen == [("on", "a", "active"), ("off", "a", "inactive")]
    assert manager.inspect("a").state == "active"


def test_report_keeps_timestamps_and_source(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    before = manager.inspect("a")
    assert before.activated_at is None
    assert before.discovered_at is not None
    assert before.source == str(manifold_plugins.root)
    manager.activate("a")
    after = manager.inspect("a")
    assert after.activated_at is not None
    assert after.changed_at is not None
    assert after.activated_at >= before.discovered_at


def test_a_report_shows_each_plugin_as_it_was_when_made_even_when_read_later(
    manifold_plugins: PluginFolder,
) -> None:
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "b")
    manager = manifold_plugins.manager()
    discovered = manager.discover()
    active = manager.activate_all()
    manager.deactivate("b")
    # read only now: the states are those of the moment each report was made
    assert {pid: info.state for pid, info in discovered.plugins.items()} == {"a": "resolved", "b": "resolved"}
    assert active.active == ["a", "b"]
    assert manager.report.active == ["a"]
    assert active.plugins.state("b") == "active"  # type: ignore[attr-defined]  # a manager's PluginTable
    own = LoadReport(dict(active.plugins), active.order, ())  # a report a host made itself: the same answers
    assert own.active == active.active
    assert discovered.plugins["a"] is discovered.plugins["a"]
    assert discovered.plugins["a"].activated_at is None
    assert active.plugins["a"].activated_at is not None
    assert active.plugins["a"].manifest is not None
    assert active.plugins["a"].version == "1.0"
    assert (len(active.plugins), list(active.plugins), "a" in active.plugins, "z" in active.plugins) == (
        2,
        ["a", "b"],
        True,
        False,
    )
    assert active.plugins == {"a": active.plugins["a"], "b": active.plugins["b"]}
    assert repr(active.plugins) == repr({"a": active.plugins["a"], "b": active.plugins["b"]})
    with pytest.raises(TypeError):
        active.plugins["a"] = discovered.plugins["a"]  # type: ignore[index]
    with pytest.raises(KeyError):
        active.plugins["z"]


def test_unknown_plugin_is_a_clear_error(manifold_plugins: PluginFolder) -> None:
    manager = manifold_plugins.manager()
    with pytest.raises(Exception, match="unknown plugin 'nope': no source has it"):
        manager.inspect("nope")


def test_unload_removes_modules_extensions_and_lets_objects_go(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(
        manifold_plugins,
        "a",
        extensions=[{"point": "host.greeters", "ref": "PKG:Plugin"}],
    )
    # point the extension at the generated package
    manifest = manifold_plugins.root / "a" / "plugin.toml"
    manifest.write_text(manifest.read_text().replace("PKG", package))
    manager = manifold_plugins.manager()
    manager.add_point("host.greeters")
    greeter = manager.extension("host.greeters").load()
    plugin_object = weakref.ref(manager.plugin("a"))
    extension_object = weakref.ref(greeter)
    module = weakref.ref(sys.modules[package])
    del greeter
    removed = manager.unload("a")
    assert removed == (package,)
    assert package not in sys.modules
    gc.collect()
    assert plugin_object() is None
    assert extension_object() is None
    assert module() is None
    assert manager.inspect("a").state == "resolved"
    # used again, it is imported again
    assert manager.extension("host.greeters").load() is not None
    assert package in sys.modules


def test_reload_picks_up_changed_code(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(manifold_plugins, "a", code="VALUE = 1\nclass Plugin: ...\n")
    manager = manifold_plugins.manager()
    manager.activate("a")
    assert sys.modules[package].VALUE == 1
    (manifold_plugins.root / "a" / package / "__init__.py").write_text("VALUE = 2\nclass Plugin: ...\n")
    assert manager.reload("a")
    assert sys.modules[package].VALUE == 2
    assert manager.inspect("a").state == "active"


def test_rescan_adds_removes_and_reloads(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "keep")
    gone = add_code_plugin(manifold_plugins, "gone")
    change = add_code_plugin(manifold_plugins, "change", code="VALUE = 1\nclass Plugin: ...\n")
    manager = manifold_plugins.manager()
    manager.activate_all()
    keep_object = manager.plugin("keep")
    import shutil

    shutil.rmtree(manifold_plugins.root / "gone")
    add_code_plugin(manifold_plugins, "new", activation="eager")
    code_file = manifold_plugins.root / "change" / change / "__init__.py"
    code_file.write_text("VALUE = 2\nclass Plugin: ...\n")
    future = time.time() + 5
    import os

    os.utime(code_file, (future, future))
    result = manager.rescan()
    assert (result.added, result.removed, result.changed) == (("new",), ("gone",), ("change",))
    assert gone not in sys.modules
    assert sys.modules[change].VALUE == 2
    assert manager.plugin("keep") is keep_object
    states = {pid: info.state for pid, info in manager.report.plugins.items()}
    assert states == {"keep": "active", "change": "active", "new": "active"}
    again = manager.rescan()
    assert (again.added, again.removed, again.changed) == ((), (), ())


def test_health(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(
        manifold_plugins, "fine", code="class Plugin:\n    def health(self):\n        return {'queue': 3}\n"
    )
    add_code_plugin(
        manifold_plugins, "sick", code="class Plugin:\n    def health(self):\n        raise OSError('disk')\n"
    )
    add_code_plugin(manifold_plugins, "plain", code="class Plugin: ...\n")
    add_code_plugin(manifold_plugins, "idle", code="class Plugin: ...\n")
    manager = manifold_plugins.manager()
    for pid in ("fine", "sick", "plain"):
        manager.activate(pid)
    assert manager.health() == {
        "fine": {"queue": 3, "status": "ok"},
        "plain": {"status": "ok"},
        "sick": {"status": "error", "error": "OSError: disk"},
    }


def test_update_settings_validates_and_notifies(manifold_plugins: PluginFolder) -> None:
    code = (
        "import sys\nclass Plugin:\n    def __init__(self, context):\n        self.changes = []\n"
        "    def settings_changed(self, old, new):\n        self.changes.append((dict(old), dict(new)))\n"
    )
    schema = {"properties": {"level": {"type": "integer", "default": 1}, "name": {"type": "string"}}}
    add_code_plugin(manifold_plugins, "a", code=code, settings_schema=schema)
    manager = manifold_plugins.manager(settings={"a": {"name": "x"}})
    manager.activate("a")
    new = manager.update_settings("a", {"level": 5})
    assert dict(new) == {"level": 5, "name": "x"}  # merged: a key left out keeps its value
    assert manager.plugin("a").changes == [({"level": 1, "name": "x"}, {"level": 5, "name": "x"})]
    with pytest.raises(Exception, match=r'settings of a: level: expected an integer, got a string \("high"\)'):
        manager.update_settings("a", {"level": "high"})
    assert dict(manager.settings("a")) == {"level": 5, "name": "x"}


def test_plugins_import_from_their_own_folder_without_sys_path(manifold_plugins: PluginFolder, tmp_path: Path) -> None:
    before = list(sys.path)
    package = add_code_plugin(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    manager.activate("a")
    assert sys.path == before
    assert sys.modules[package].__file__ == str(manifold_plugins.root / "a" / package / "__init__.py")
    manager.close()
    assert package not in sys.modules
    assert not any(type(f).__name__ == "PluginImporter" for f in sys.meta_path)


def test_manager_as_context_manager_closes(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(manifold_plugins, "a", activation="eager")
    with Manager([manifold_plugins.root], environ={}) as manager:
        manager.start()
        assert package in sys.modules
    assert EVENTS[-1] == ("deactivate", "a")
    assert package not in sys.modules


def test_extension_of_a_failed_plugin_raises_a_clear_error(manifold_plugins: PluginFolder) -> None:
    package = add_code_plugin(
        manifold_plugins,
        "bad",
        code="raise RuntimeError('broken')\n",
        extensions=[{"point": "p.q", "ref": "X:f"}],
    )
    manifest = manifold_plugins.root / "bad" / "plugin.toml"
    manifest.write_text(manifest.read_text().replace('"X:f"', f'"{package}:f"'))
    manager = manifold_plugins.manager()
    handle = manager.extension("p.q")
    with pytest.raises(ExtensionError) as raised:
        handle.load()
    assert str(raised.value) == (
        "extension of bad to p.q is unavailable: failed: bad failed in import: RuntimeError: broken"
    )
    assert (raised.value.point, raised.value.plugin) == ("p.q", "bad")


def _signature_takes_context(cls: type) -> bool:
    """What inspect.signature says: a required positional parameter, or *args."""
    import inspect

    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is p.empty for p in parameters) or any(
        p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters
    )


def _plugin_classes() -> list[type]:
    import dataclasses
    import functools

    class NoInit:
        pass

    class Bare:
        def __init__(self) -> None: ...

    class Context:
        def __init__(self, context: object) -> None: ...

    class Optional:
        def __init__(self, context: object = None) -> None: ...

    class Star:
        def __init__(self, *args: object) -> None: ...

    class PositionalOnly:
        def __init__(self, context: object, /) -> None: ...

    class KeywordOnly:
        def __init__(self, *, context: object) -> None: ...

    class Inherited(Context):
        pass

    @dataclasses.dataclass
    class Data:
        context: object

    def logged(init: Any) -> Any:
        @functools.wraps(init)
        def wrapper(self: object, *args: object) -> None:
            init(self, *args)

        return wrapper

    class Wrapped:
        @logged
        def __init__(self) -> None: ...

    class Meta(type):
        def __call__(cls, *args: object) -> object:
            return super().__call__()

    class WithMeta(metaclass=Meta):
        def __init__(self) -> None: ...

    class WithNew:
        def __new__(cls, context: object) -> WithNew:
            return super().__new__(cls)

    return [
        NoInit,
        Bare,
        Context,
        Optional,
        Star,
        PositionalOnly,
        KeywordOnly,
        Inherited,
        Data,
        Wrapped,
        WithMeta,
        WithNew,
    ]


@pytest.mark.parametrize("cls", _plugin_classes(), ids=lambda c: c.__name__)
def test_a_plugin_class_gets_its_context_when_its_constructor_takes_one(cls: type) -> None:
    from manifold.lifecycle.objects import _takes_context

    expected = {"Context", "Star", "PositionalOnly", "Inherited", "Data", "WithMeta", "WithNew"}
    assert _takes_context(cls) is _signature_takes_context(cls) is (cls.__name__ in expected)


def test_rescan_sees_code_changes_in_module_plugins_and_subpackages(manifold_plugins: PluginFolder) -> None:
    import os

    module = unique("single")
    manifold_plugins.add("single", packages=[module], files={f"{module}.py": "class Plugin: ...\n"})
    nested = unique("nested")
    manifold_plugins.add(
        "nested",
        packages=[nested],
        files={f"{nested}/__init__.py": "class Plugin: ...\n", f"{nested}/sub/util.py": "X = 1\n"},
    )
    manager = manifold_plugins.manager()
    manager.activate_all()
    assert manager.rescan().changed == ()
    future = time.time() + 5
    for relative in (f"single/{module}.py", f"nested/{nested}/sub/util.py"):
        os.utime(manifold_plugins.root / relative, (future, future))
    assert manager.rescan().changed == ("nested", "single")
    (manifold_plugins.root / "nested" / nested / "sub" / "more.py").write_text("Y = 2\n")  # one more file
    assert manager.rescan().changed == ("nested",)
    assert manager.rescan().changed == ()


# ----------------------------------------------------------------- the worker thread and its time limit
def test_one_trip_keeps_the_order_of_plugin_code_and_listeners(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "b", dependencies={"a": "*"})
    for timeout, thread in ((None, "MainThread"), (5.0, "manifold-plugins")):
        EVENTS.clear()
        manager = manifold_plugins.manager(timeout=timeout)
        threads: set[str] = set()

        def listener(info: PluginInfo, threads: set[str] = threads) -> None:
            EVENTS.append(("listener", info.id))
            threads.add(threading.current_thread().name)

        manager.on_activated(listener)
        manager.activate_all()
        assert EVENTS == [
            ("init", "a"),
            ("activate", "a"),
            ("listener", "a"),
            ("init", "b"),
            ("activate", "b"),
            ("listener", "b"),
        ]
        assert threads == {thread}
        manager.close()


def test_a_hang_fails_that_plugin_and_its_dependents_and_its_thread_changes_nothing_after(
    manifold_plugins: PluginFolder,
) -> None:
    hang = PLUGIN_CODE.replace(
        '        EVENTS.append(("activate", self.context.id))',
        '        EVENTS.append(("activate", self.context.id))\n        import time\n        time.sleep(0.6)\n'
        '        EVENTS.append(("woke", self.context.id))',
    )
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "slow", code=hang)
    add_code_plugin(manifold_plugins, "needs-slow", dependencies={"slow": "*"})
    add_code_plugin(manifold_plugins, "z")
    manager = manifold_plugins.manager(timeout=0.2)
    seen: list[tuple[str, str]] = []
    manager.on_activated(lambda info: seen.append(("activated", info.id)))
    manager.on_failed(lambda info: seen.append(("failed", info.id)))
    report = manager.activate_all()
    assert report.order == ("a", "slow", "needs-slow", "z")
    assert {pid: (info.state, info.reason and info.reason.code) for pid, info in report.plugins.items()} == {
        "a": ("active", None),
        "slow": ("failed", "failed"),
        "needs-slow": ("unresolved", "dependency-unavailable"),
        "z": ("active", None),
    }
    assert report.plugins["slow"].reason.message == "slow timed out: did not finish within 0.2 s"  # type: ignore[union-attr]
    assert EVENTS == [
        ("init", "a"),
        ("activate", "a"),
        ("init", "slow"),
        ("activate", "slow"),
        ("init", "z"),
        ("activate", "z"),
    ]
    assert seen == [("activated", "a"), ("failed", "slow"), ("activated", "z")]
    time.sleep(0.8)  # the abandoned thread wakes up: its plugin code ends, and nothing of the manager's runs after it
    assert EVENTS[-1] == ("woke", "slow")
    assert seen == [("activated", "a"), ("failed", "slow"), ("activated", "z")]
    assert manager.inspect("slow").state == "failed"
    assert manager.activate("a")
    assert not manager.activate("slow")


NESTED_CODE = """
import lifecycle_journal

class Plugin:
    def __init__(self, context):
        self.context = context

    def activate(self):
        lifecycle_journal.EVENTS.append(("activate", self.context.id))
        inner = lifecycle_journal.MANAGER.activate(self.context.settings["inner"])
        lifecycle_journal.EVENTS.append(("inner active", inner))
"""


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_plugin_code_may_activate_another_plugin(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch, timeout: float | None
) -> None:
    add_code_plugin(manifold_plugins, "inner")
    add_code_plugin(
        manifold_plugins,
        "outer",
        code=NESTED_CODE,
        settings_schema={"type": "object", "properties": {"inner": {"type": "string", "default": "inner"}}},
    )
    manager = manifold_plugins.manager(timeout=timeout)
    monkeypatch.setattr(_JOURNAL, "MANAGER", manager, raising=False)
    assert manager.activate("outer")
    assert EVENTS == [("activate", "outer"), ("init", "inner"), ("activate", "inner"), ("inner active", True)]
    assert [info.state for info in manager] == ["active", "active"]


def test_a_hang_in_a_plugin_that_another_activates_fails_both(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    hang = "import time\nclass Plugin:\n    def activate(self):\n        time.sleep(3)\n"
    add_code_plugin(manifold_plugins, "slow", code=hang)
    add_code_plugin(
        manifold_plugins,
        "outer",
        code=NESTED_CODE,
        settings_schema={"type": "object", "properties": {"inner": {"type": "string", "default": "slow"}}},
    )
    add_code_plugin(manifold_plugins, "z")
    manager = manifold_plugins.manager(timeout=0.2)
    monkeypatch.setattr(_JOURNAL, "MANAGER", manager, raising=False)
    report = manager.activate_all()
    states = {pid: info.state for pid, info in report.plugins.items()}
    assert states == {"outer": "failed", "slow": "failed", "z": "active"}
    for pid in ("outer", "slow"):
        assert report.plugins[pid].reason.message == f"{pid} timed out: did not finish within 0.2 s"  # type: ignore[union-attr]
        assert report.plugins[pid].reason.phase == "timeout"  # type: ignore[union-attr]


def test_the_time_limit_counts_plugin_code_only_not_listeners(manifold_plugins: PluginFolder) -> None:
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "b")
    manager = manifold_plugins.manager(timeout=0.2)
    manager.on_activated(lambda info: time.sleep(0.3))
    report = manager.activate_all()
    assert [(pid, info.state) for pid, info in report.plugins.items()] == [("a", "active"), ("b", "active")]
    assert EVENTS == [("init", "a"), ("activate", "a"), ("init", "b"), ("activate", "b")]


def test_a_hanging_deactivate_fails_that_plugin_and_the_others_still_deactivate(manifold_plugins: PluginFolder) -> None:
    hang = PLUGIN_CODE.replace(
        '        EVENTS.append(("deactivate", self.context.id))',
        '        EVENTS.append(("deactivate", self.context.id))\n        import time\n        time.sleep(3)',
    )
    add_code_plugin(manifold_plugins, "a")
    add_code_plugin(manifold_plugins, "b", code=hang)
    add_code_plugin(manifold_plugins, "c")
    manager = manifold_plugins.manager(timeout=0.2)
    manager.activate_all()
    EVENTS.clear()
    report = manager.deactivate_all()
    assert EVENTS == [("deactivate", "c"), ("deactivate", "b"), ("deactivate", "a")]
    assert {pid: info.state for pid, info in report.plugins.items()} == {
        "a": "inactive",
        "b": "failed",
        "c": "inactive",
    }
    reason = report.plugins["b"].reason
    assert reason is not None
    assert (reason.phase, reason.message) == ("timeout", "b timed out: did not finish within 0.2 s")


def test_a_constructor_that_overruns_is_never_followed_by_activate(manifold_plugins: PluginFolder) -> None:
    slow_init = PLUGIN_CODE.replace(
        '        EVENTS.append(("init", context.id))',
        '        EVENTS.append(("init", context.id))\n        import time\n        time.sleep(0.6)',
    )
    add_code_plugin(manifold_plugins, "slow", code=slow_init)
    add_code_plugin(manifold_plugins, "z")
    manager = manifold_plugins.manager(timeout=0.2)
    report = manager.activate_all()
    assert {pid: info.state for pid, info in report.plugins.items()} == {"slow": "failed", "z": "active"}
    time.sleep(0.8)  # the constructor returns in the abandoned thread
    assert EVENTS == [("init", "slow"), ("init", "z"), ("activate", "z")]
    assert manager.inspect("slow").state == "failed"
    assert manager.plugin("slow") is None


@pytest.mark.parametrize("timeout", [None, 5.0])
def test_async_plugins_activate_from_inside_a_running_event_loop(
    manifold_plugins: PluginFolder, timeout: float | None
) -> None:
    import asyncio

    code = PLUGIN_CODE.replace("    def activate(self):", "    async def activate(self):")
    add_code_plugin(manifold_plugins, "aio", code=code)
    add_code_plugin(manifold_plugins, "plain", dependencies={"aio": "*"})
    manager = manifold_plugins.manager(timeout=timeout)

    async def host() -> list[str]:
        return manager.activate_all().active  # a host calling the manager from a coroutine

    assert asyncio.run(host()) == ["aio", "plain"]
    assert EVENTS == [("init", "aio"), ("activate", "aio"), ("init", "plain"), ("activate", "plain")]


def test_a_call_queued_behind_one_that_hangs_still_runs() -> None:
    from manifold.lifecycle.runner import CallTimeout, Runner

    runner = Runner(0.3)
    started = threading.Event()
    outcomes: dict[str, object] = {}

    def hang() -> None:
        started.set()
        time.sleep(2)

    def first() -> None:
        try:
            runner.call(hang, "hang")
        except CallTimeout as e:
            outcomes["first"] = e.running

    def second() -> None:
        outcomes["second"] = runner.call(lambda: "done", "quick")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert started.wait(2)
    threads[1].start()  # another thread's call waits behind the hanging one on the same worker
    for thread in threads:
        thread.join(3)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes == {"first": ("hang",), "second": "done"}
    runner.close()


def test_a_plugins_logger_is_made_when_it_first_logs(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    code = """
    class Plugin:
        def __init__(self, context):
            self.context = context
        def speak(self):
            self.context.logger.warning("token is %s", self.context.settings["api-token"])
    """
    for pid in ("lazy.quiet", "lazy.talker"):
        package = pid.replace(".", "_")
        manifold_plugins.add(
            pid, packages=[package], files={f"{package}/__init__.py": code}, **{"class": f"{package}:Plugin"}
        )
    manager = manifold_plugins.manager(settings={"lazy.talker": {"api-token": "s3cret-value"}})
    manager.activate_all()
    known = logging.Logger.manager.loggerDict
    assert "manifold.plugins.lazy.quiet" not in known
    assert "manifold.plugins.lazy.talker" not in known
    with caplog.at_level(logging.WARNING):
        manager.plugin("lazy.talker").speak()
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("manifold.plugins.lazy.talker", "token is ••••••")]
    assert "manifold.plugins.lazy.quiet" not in known
    assert manager.plugin("lazy.talker").context.logger is manager.plugin("lazy.talker").context.logger


def test_a_large_batch_activates_with_the_collector_paused_and_leaves_it_on(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import weakref

    import manifold.lifecycle.activation as activation

    monkeypatch.setattr(activation, "PAUSE_FROM", 3)
    code = """
    import gc
    SEEN = []
    class Plugin:
        def __init__(self, context):
            self.cycle = [self]  # a cycle plugin code leaves behind: freed by a later full collection
        def activate(self):
            SEEN.append(gc.isenabled())
    """
    for i in range(4):
        package = f"gc_plugin_{i}"
        manifold_plugins.add(
            f"gc.p{i}", packages=[package], files={f"{package}/__init__.py": code}, **{"class": f"{package}:Plugin"}
        )
    manager = manifold_plugins.manager()
    assert manager.activate("gc.p0")  # one plugin: the collector stays on
    manager.activate_all()  # four, three of them new: paused for the batch
    assert [sys.modules[f"gc_plugin_{i}"].SEEN for i in range(4)] == [[True], [False], [False], [False]]
    assert gc.isenabled()
    left = weakref.ref(manager.plugin("gc.p1"))
    manager.close()  # the plugins are let go: only their cycles keep them
    gc.collect()
    assert left() is None
