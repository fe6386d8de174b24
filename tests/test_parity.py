"""What hosts coming from pyfly-style managers, pluginforge and Prefect's start-up plugins rely on.

Each test follows one behaviour those systems document, rebuilt from manifests alone; where
manifold differs on purpose, the test says so.
"""

from __future__ import annotations

import itertools
import logging
import sys
from typing import Any, Protocol, runtime_checkable

import pytest

from manifold import ExtensionError
from manifold.testing import PluginFolder

_counter = itertools.count()

LIFECYCLE = """
CALLS = []

class Plugin:
    def __init__(self, context):
        self.id = context.id
        self.config_changes = []

    def activate(self):
        CALLS.append(("start", self.id))

    def deactivate(self):
        CALLS.append(("stop", self.id))

    def settings_changed(self, old, new):
        self.config_changes.append((dict(old), dict(new)))

    def health(self):
        if self.id == "sick":
            raise RuntimeError("database unreachable")
        return {"status": "ok", "plugin": self.id}

class Greeter:
    def greet(self):
        return "hi"

class Impostor:
    pass
"""


def plugin(folder: PluginFolder, plugin_id: str, code: str = LIFECYCLE, **fields: Any) -> str:
    package = f"parity_{plugin_id.replace('.', '_').replace('-', '_')}_{next(_counter)}"
    extensions = [
        {**e, "ref": e["ref"].replace("PKG", package)} if "ref" in e else e for e in fields.pop("extensions", [])
    ]
    folder.add(
        plugin_id,
        packages=[package],
        files={f"{package}/__init__.py": code},
        extensions=extensions,
        **{"class": f"{package}:Plugin"},
        **fields,
    )
    return package


def calls(package: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = sys.modules[package].CALLS
    return result


@runtime_checkable
class Greets(Protocol):
    def greet(self) -> str: ...


# ----------------------------------------------------------------------------- pyfly-style
def test_pyfly_typed_point_rejects_the_wrong_type_naming_extension_point_and_type(
    manifold_plugins: PluginFolder,
) -> None:
    plugin(manifold_plugins, "good", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter", "priority": 1}])
    bad = plugin(manifold_plugins, "bad", extensions=[{"point": "app.greeters", "ref": "PKG:Impostor", "priority": 5}])
    manager = manifold_plugins.manager()
    manager.add_point("app.greeters", interface=Greets)
    impostor, greeter = manager.extensions("app.greeters")
    with pytest.raises(ExtensionError) as raised:
        impostor.load()
    assert str(raised.value) == (
        f"{bad}:Impostor of bad is a {bad}.Impostor, not a {__name__}.Greets as point app.greeters requires"
    )
    assert greeter.load().greet() == "hi"
    assert [h.plugin for h in manager.extensions("app.greeters")] == ["good"]


def test_pyfly_get_is_priority_ordered_and_empty_for_unknown_points(manifold_plugins: PluginFolder) -> None:
    plugin(manifold_plugins, "low", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter", "priority": -5}])
    plugin(manifold_plugins, "high", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter", "priority": 50}])
    plugin(manifold_plugins, "mid", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter"}])
    manager = manifold_plugins.manager()
    assert [h.plugin for h in manager.extensions("app.greeters")] == ["high", "mid", "low"]
    assert manager.extensions("app.unknown") == []
    assert manager.extension("app.greeters").plugin == "high"
    with pytest.raises(ExtensionError):
        manager.extension("app.unknown")


def test_pyfly_start_one_starts_transitive_dependencies_and_stop_stops_dependents(
    manifold_plugins: PluginFolder,
) -> None:
    pkg = {
        pid: plugin(manifold_plugins, pid, dependencies=deps)
        for pid, deps in [("db", {}), ("cache", {"db": "*"}), ("api", {"cache": "*"}), ("cli", {"db": "*"})]
    }
    manager = manifold_plugins.manager()
    assert manager.activate("api")
    assert manager.activate("api")  # already started: nothing happens twice
    started = [c for p in pkg.values() if p in sys.modules for c in calls(p)]
    assert sorted(started) == [("start", "api"), ("start", "cache"), ("start", "db")]
    assert manager.inspect("cli").state == "resolved"
    manager.activate("cli")
    assert manager.deactivate("db")
    states = {pid: manager.inspect(pid).state for pid in pkg}
    assert states == {"db": "inactive", "cache": "inactive", "api": "inactive", "cli": "inactive"}


def test_pyfly_states_keep_failure_reason_and_times(manifold_plugins: PluginFolder) -> None:
    plugin(
        manifold_plugins,
        "broken",
        code="class Plugin:\n    def activate(self):\n        raise KeyError('cfg')\n",
    )
    manager = manifold_plugins.manager()
    assert not manager.activate("broken")
    info = manager.inspect("broken")
    assert info.state == "failed"
    assert info.reason is not None
    assert info.reason.message == "broken failed in activate: KeyError: 'cfg'"
    assert isinstance(info.reason.error, KeyError)
    assert info.discovered_at is not None
    assert info.changed_at is not None
    assert info.changed_at >= info.discovered_at


def test_pyfly_remove_unregisters_exactly_that_plugins_extensions(manifold_plugins: PluginFolder) -> None:
    gone = plugin(manifold_plugins, "gone", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter"}])
    plugin(manifold_plugins, "stays", extensions=[{"point": "app.greeters", "ref": "PKG:Greeter"}])
    plugin(manifold_plugins, "user", dependencies={"gone": "*"})
    manager = manifold_plugins.manager()
    manager.activate_all()
    removed = manager.remove("gone")
    assert removed == (gone,)
    assert [h.plugin for h in manager.extensions("app.greeters")] == ["stays"]
    info = manager.inspect("gone")
    assert (info.state, info.reason.code if info.reason else None) == ("filtered", "removed")
    user = manager.inspect("user")
    assert (user.state, user.reason.code if user.reason else None) == ("unresolved", "dependency-unavailable")


# ----------------------------------------------------------------------------- pluginforge-style
def test_pluginforge_discovery_result_lists_activated_and_filtered_by_reason(
    manifold_plugins: PluginFolder,
) -> None:
    plugin(manifold_plugins, "ok", target="notes", requires_app=">=2")
    plugin(manifold_plugins, "off")
    plugin(manifold_plugins, "other-app", target="paint")
    plugin(manifold_plugins, "too-new-api", target="notes", requires_api=">=2")
    plugin(manifold_plugins, "old-app", target="notes", requires_app="<2")
    plugin(manifold_plugins, "vetoed", target="notes")
    manager = manifold_plugins.manager(
        app="notes",
        app_version="2.5",
        api_version="1.0",
        disabled=["off"],
        pre_activate=lambda manifest: manifest.id != "vetoed",
    )
    report = manager.activate_all()
    assert report.active == ["ok"]
    assert report.by_reason() == {
        "disabled": ["off"],
        "wrong-target": ["other-app"],
        "incompatible-api": ["too-new-api"],
        "incompatible-app": ["old-app"],
        "pre-activate-rejected": ["vetoed"],
    }


def test_pluginforge_dependent_of_a_failed_plugin_does_not_activate(manifold_plugins: PluginFolder) -> None:
    """pluginforge activates it anyway; manifold does not (a deliberate difference)."""
    plugin(manifold_plugins, "base", code="raise ImportError('driver missing')\n")
    plugin(manifold_plugins, "addon", dependencies={"base": "*"})
    report = manifold_plugins.manager().activate_all()
    assert report.plugins["addon"].state == "unresolved"
    assert report.plugins["addon"].reason is not None
    assert report.plugins["addon"].reason.chain == ("base",)


def test_pluginforge_config_refresh_notifies_health_and_inspect(manifold_plugins: PluginFolder) -> None:
    schema = {"properties": {"lang": {"type": "string", "default": "en"}}}
    plugin(manifold_plugins, "i18n", settings_schema=schema)
    plugin(manifold_plugins, "sick")
    manager = manifold_plugins.manager()
    manager.activate_all()
    manager.update_settings("i18n", {"lang": "de"})
    assert manager.plugin("i18n").config_changes == [({"lang": "en"}, {"lang": "de"})]
    assert manager.health() == {
        "i18n": {"status": "ok", "plugin": "i18n"},
        "sick": {"status": "error", "error": "RuntimeError: database unreachable"},
    }
    info = manager.inspect("i18n")
    assert (info.id, info.version, info.state, info.source) == (
        "i18n",
        "1.0",
        "active",
        str(manifold_plugins.root),
    )


def test_pluginforge_listeners_return_unsubscribe_and_swallow_errors(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    plugin(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    events: list[str] = []
    unsubscribe = manager.on_activated(lambda info: events.append(f"activated {info.id}"))
    manager.on_deactivated(lambda info: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="manifold"):
        manager.activate("a")
        manager.deactivate("a")
    unsubscribe()
    manager.activate("a")
    assert events == ["activated a"]
    assert caplog.messages == ["an on_deactivated listener raised for a"]


# ----------------------------------------------------------------------------- Prefect-style
def test_prefect_allow_then_deny_and_api_requirement_logged(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    for pid in ("listed", "both", "unlisted"):
        plugin(manifold_plugins, pid, requires_api=">=0.1,<1")
    plugin(manifold_plugins, "future", requires_api=">=2")
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manager = manifold_plugins.manager(
            api_version="0.1", environ={"MANIFOLD_ALLOW": "listed,both,future", "MANIFOLD_DENY": "both"}
        )
        report = manager.activate_all()
    assert report.active == ["listed"]
    assert report.by_reason() == {"denied": ["both", "unlisted"], "incompatible-api": ["future"]}
    assert caplog.messages == ["future requires plugin API >=2, but this host provides 0.1; skipping it"]


def test_prefect_safe_mode_loads_nothing_and_runs_no_hook(manifold_plugins: PluginFolder) -> None:
    package = plugin(manifold_plugins, "a", activation="eager")
    report = manifold_plugins.manager(safe_mode=True).start()
    assert report.plugins["a"].state == "resolved"
    assert package not in sys.modules


def test_prefect_timeout_is_per_plugin_and_finished_results_are_kept(manifold_plugins: PluginFolder) -> None:
    """Prefect drops every result when its one budget runs out; manifold keeps the finished ones."""
    plugin(manifold_plugins, "first", activation="eager")
    plugin(
        manifold_plugins,
        "hangs",
        activation="eager",
        code="import threading\nclass Plugin:\n    def activate(self):\n        threading.Event().wait(3)\n",
    )
    plugin(manifold_plugins, "last", activation="eager")
    report = manifold_plugins.manager(timeout=0.2).start()
    assert report.active == ["first", "last"]
    assert report.plugins["hangs"].reason is not None
    assert report.plugins["hangs"].reason.phase == "timeout"
