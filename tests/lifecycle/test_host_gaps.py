"""The host API behaviours a host rebuilt from another plugin system relies on: live and merged
settings, strict mode with lazy plugins, deactivation that holds, shutdown in reverse activation
order, point defaults before load, the teardown call and the public redaction helper."""

from __future__ import annotations

import itertools
import logging
import sys
import types
from typing import Any

import pytest

import manifold
from manifold import ExtensionError, StrictModeError
from manifold.testing import PluginFolder

_counter = itertools.count()

CODE = """
from host_gaps_journal import EVENTS

class Plugin:
    def __init__(self, context):
        self.context = context

    def activate(self):
        EVENTS.append(("activate", self.context.id))

    def deactivate(self):
        EVENTS.append(("deactivate", self.context.id))

    def teardown(self):
        EVENTS.append(("teardown", self.context.id))

def answer():
    return __name__.split("_")[1]
"""

EVENTS: list[tuple[str, str]] = []
_JOURNAL = types.ModuleType("host_gaps_journal")
_JOURNAL.EVENTS = EVENTS  # type: ignore[attr-defined]

HOOK = "gaps.ask"


@pytest.fixture(autouse=True)
def _journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "host_gaps_journal", _JOURNAL)
    EVENTS.clear()


def add(folder: PluginFolder, plugin_id: str, *, code: str = CODE, **fields: Any) -> str:
    package = f"gap_{plugin_id.replace('-', '')}_{next(_counter)}"
    folder.add(
        plugin_id,
        packages=[package],
        files={f"{package}/__init__.py": code},
        **{"class": f"{package}:Plugin"},
        **fields,
    )
    return package


def answering(folder: PluginFolder, plugin_id: str, **fields: Any) -> str:
    """A plugin implementing the hook ``HOOK`` and contributing to the point ``gaps.things``."""
    package = f"gap_{plugin_id.replace('-', '')}_{next(_counter)}"
    folder.add(
        plugin_id,
        packages=[package],
        files={f"{package}/__init__.py": CODE},
        extensions=[{"point": HOOK, "ref": f"{package}:answer"}, {"point": "gaps.things", "ref": f"{package}:answer"}],
        **{"class": f"{package}:Plugin"},
        **fields,
    )
    return package


# --------------------------------------------------------------------------- settings
SETTINGS_CODE = """
class Plugin:
    def __init__(self, context):
        self.context = context
        self.changes = []

    def settings_changed(self, old, new):
        self.changes.append((dict(old), dict(new), dict(self.context.settings)))
"""
SCHEMA = {
    "properties": {
        "level": {"type": "integer", "default": 1},
        "name": {"type": "string"},
        "api-token": {"type": "string"},
    }
}


def test_update_settings_merges_and_a_key_left_out_keeps_its_value(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a", code=SETTINGS_CODE, settings_schema=SCHEMA)
    manager = manifold_plugins.manager(settings={"a": {"name": "x", "level": 3}})
    assert manager.activate("a")
    assert dict(manager.update_settings("a", {"level": 5})) == {"level": 5, "name": "x"}
    assert dict(manager.settings("a")) == {"level": 5, "name": "x"}
    assert manager.plugin("a").changes == [
        ({"level": 3, "name": "x"}, {"level": 5, "name": "x"}, {"level": 5, "name": "x"})
    ]


def test_update_settings_replace_puts_the_whole_mapping_back_to_its_defaults(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a", code=SETTINGS_CODE, settings_schema=SCHEMA)
    manager = manifold_plugins.manager(settings={"a": {"name": "x", "level": 3}})
    assert dict(manager.update_settings("a", {"name": "y"}, replace=True)) == {"level": 1, "name": "y"}


def test_the_plugins_own_context_sees_the_new_settings(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a", code=SETTINGS_CODE, settings_schema=SCHEMA)
    manager = manifold_plugins.manager(settings={"a": {"name": "x"}})
    manager.activate("a")
    context = manager.plugin("a").context
    manager.update_settings("a", {"level": 7})
    assert manager.plugin("a").context is context
    assert dict(context.settings) == {"level": 7, "name": "x"}
    assert context.settings["level"] == 7
    with pytest.raises(TypeError):
        context.settings["level"] = 8  # read-only for the plugin
    manager.update_settings("a", {"api-token": "s3cr3t-value"})
    assert "s3cr3t-value" not in repr(context)


def test_a_refused_update_changes_nothing(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a", code=SETTINGS_CODE, settings_schema=SCHEMA)
    manager = manifold_plugins.manager(settings={"a": {"name": "x"}})
    manager.activate("a")
    with pytest.raises(
        manifold.SettingsError, match=r'settings of a: level: expected an integer, got a string \("high"\)'
    ):
        manager.update_settings("a", {"level": "high"})
    assert dict(manager.plugin("a").context.settings) == {"level": 1, "name": "x"}
    assert manager.plugin("a").changes == []


# --------------------------------------------------------------------------- strict mode
def test_strict_mode_counts_a_healthy_lazy_plugin_as_fine(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "lazy")
    add(manifold_plugins, "eager", activation="eager")
    add(manifold_plugins, "broken", code="raise RuntimeError('broken')\n", activation="eager")
    add(manifold_plugins, "orphan", dependencies={"ghost": "*"})
    manager = manifold_plugins.manager(strict=True, required=["lazy", "eager"], disabled=["off"])
    report = manager.start()
    assert report.plugins["lazy"].state == "resolved"
    assert report.plugins["eager"].state == "active"
    for required in (["broken"], ["orphan"], ["lazy", "off"]):
        add(manifold_plugins, "off")
        strict = manifold_plugins.manager(strict=True, required=required, disabled=["off"])
        with pytest.raises(StrictModeError) as raised:
            strict.start()
        assert sorted(raised.value.plugins) == sorted(set(required) - {"lazy"})


# --------------------------------------------------------------------------- deactivation holds
def test_deactivating_a_plugin_never_activated_keeps_hooks_and_loads_from_activating_it(
    manifold_plugins: PluginFolder,
) -> None:
    answering(manifold_plugins, "held")
    answering(manifold_plugins, "other")
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True)
    manager.add_point("gaps.things")
    assert manager.deactivate("held")
    assert manager.inspect("held").state == "inactive"
    assert sorted(manager.hook(HOOK)()) == ["other"]
    assert manager.inspect("held").state == "inactive"
    handle = next(h for h in manager.extensions("gaps.things") if h.plugin == "held")
    with pytest.raises(ExtensionError) as raised:
        handle.load()
    assert str(raised.value) == (
        "extension of held to gaps.things is unavailable:"
        " held was deactivated by the host (activate it to use it again)"
    )
    assert ("activate", "held") not in EVENTS
    assert manager.activate("held")
    assert sorted(manager.hook(HOOK)()) == ["held", "other"]
    assert handle.load()() == "held"


def test_a_deactivated_plugin_stays_out_until_activated_again(manifold_plugins: PluginFolder) -> None:
    answering(manifold_plugins, "a")
    manager = manifold_plugins.manager()
    manager.add_point(HOOK, hook=True)
    manager.add_point("gaps.things")
    assert manager.activate("a")
    assert manager.deactivate("a")
    assert manager.hook(HOOK)() == []
    with pytest.raises(ExtensionError, match="a was deactivated by the host"):
        manager.extension("gaps.things").load()
    assert manager.inspect("a").state == "inactive"
    assert manager.activate("a")
    assert manager.hook(HOOK)() == ["a"]


def test_a_lazy_dependent_of_a_deactivated_plugin_is_not_activated_by_use(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "base")
    answering(manifold_plugins, "user", dependencies={"base": "*"})
    manager = manifold_plugins.manager()
    manager.add_point("gaps.things")
    assert manager.deactivate("base")
    with pytest.raises(ExtensionError) as raised:
        manager.extension("gaps.things").load()
    assert str(raised.value) == (
        "extension of user to gaps.things is unavailable: it needs base, which was deactivated by the host"
        " (activate it to use it again)"
    )
    assert manager.inspect("user").state == "resolved"
    assert manager.activate("user")  # the host's own call: its dependencies come back with it
    assert manager.inspect("base").state == "active"


# --------------------------------------------------------------------------- shutdown order
def test_deactivate_all_runs_in_reverse_activation_order(manifold_plugins: PluginFolder) -> None:
    for pid in ("a", "b", "c"):
        add(manifold_plugins, pid)
    manager = manifold_plugins.manager()
    for pid in ("c", "a", "b"):
        manager.activate(pid)
    manager.deactivate_all()
    assert [e for e in EVENTS if e[0] == "deactivate"] == [
        ("deactivate", "b"),
        ("deactivate", "a"),
        ("deactivate", "c"),
    ]


def test_close_deactivates_in_reverse_activation_order_and_tears_down_once(manifold_plugins: PluginFolder) -> None:
    for pid in ("a", "b", "c"):
        add(manifold_plugins, pid)
    manager = manifold_plugins.manager()
    for pid in ("b", "c", "a"):
        manager.activate(pid)
    manager.close()
    manager.close()
    assert EVENTS[3:] == [
        ("deactivate", "a"),
        ("deactivate", "c"),
        ("deactivate", "b"),
        ("teardown", "a"),
        ("teardown", "c"),
        ("teardown", "b"),
    ]


# --------------------------------------------------------------------------- teardown
def test_teardown_follows_deactivate_on_unload_and_remove(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a")
    add(manifold_plugins, "b")
    manager = manifold_plugins.manager()
    manager.activate_all()
    EVENTS.clear()
    manager.unload("a")
    manager.remove("b")
    assert EVENTS == [("deactivate", "a"), ("teardown", "a"), ("deactivate", "b"), ("teardown", "b")]
    EVENTS.clear()
    manager.close()
    assert EVENTS == []


def test_a_teardown_that_raises_is_logged_and_the_unload_goes_on(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    code = "class Plugin:\n    def teardown(self):\n        raise OSError('socket busy')\n"
    package = add(manifold_plugins, "a", code=code)
    add(manifold_plugins, "b")
    manager = manifold_plugins.manager()
    manager.activate_all()
    with caplog.at_level(logging.ERROR, logger="manifold"):
        assert manager.unload("a") == (package,)
    assert caplog.messages == ["a: teardown raised OSError: socket busy"]
    assert manager.inspect("a").state == "resolved"
    assert manager.inspect("b").state == "active"


# --------------------------------------------------------------------------- point defaults
def test_extension_config_has_the_points_defaults_before_load(manifold_plugins: PluginFolder) -> None:
    schema = {"properties": {"label": {"type": "string", "default": "Plain"}, "suffix": {"type": "string"}}}
    manifold_plugins.add("host", extension_points=[{"id": "gaps.formats", "config-schema": schema}])
    manifold_plugins.add("fmt", extensions=[{"point": "gaps.formats", "config": {"suffix": ".txt"}}])
    manifold_plugins.add("early", extensions=[{"point": "gaps.late", "config": {}}])
    manager = manifold_plugins.manager()
    assert dict(manager.extension("gaps.formats").config) == {"label": "Plain", "suffix": ".txt"}
    assert dict(manager.extension("gaps.late").config) == {}
    manager.add_point("gaps.late", config_schema={"properties": {"size": {"type": "integer", "default": 3}}})
    assert dict(manager.extension("gaps.late").config) == {"size": 3}
    assert manager.inspect("fmt").state == "resolved"  # nothing imported, nothing activated


# --------------------------------------------------------------------------- redaction
def test_redact_masks_a_hosts_own_values_without_a_manager() -> None:
    value = {"url": "https://user:hunter22@example.org", "api-key": "abc123", "items": ["abc123 inside", 7]}
    assert manifold.redact(value, secrets=["hunter22"]) == {
        "url": "https://user:••••••@example.org",
        "api-key": "••••••",
        "items": ["•••••• inside", 7],
    }
    assert manifold.redact("token abc123", secrets=["abc123"]) == "token ••••••"
    assert manifold.redact({"plain": "value"}) == {"plain": "value"}


def test_a_rescan_keeps_the_settings_the_host_updated(manifold_plugins: PluginFolder) -> None:
    add(manifold_plugins, "a", code=SETTINGS_CODE, settings_schema=SCHEMA)
    manager = manifold_plugins.manager(settings={"a": {"name": "x"}})
    manager.activate("a")
    context = manager.plugin("a").context
    manager.update_settings("a", {"level": 4})
    manager.rescan()
    assert dict(manager.settings("a")) == {"level": 4, "name": "x"}
    assert dict(context.settings) == {"level": 4, "name": "x"}
