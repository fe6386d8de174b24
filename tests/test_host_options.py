"""Host options defined once (HostConfig), the environment read only when asked, and the typed errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from manifold import (
    HostConfig,
    Manager,
    ManifoldError,
    SettingsError,
    UnknownPluginError,
    UsageError,
)
from manifold.testing import PluginFolder

ROOT = Path(__file__).resolve().parent.parent


def test_config_and_keyword_overrides_combine_keywords_winning(manifold_plugins: PluginFolder) -> None:
    base = HostConfig.build(app="notes", app_version="3.1", deny=["x"], timeout=5)
    manager = manifold_plugins.manager(config=base, app_version="4.0", enabled=["a"])
    assert manager.config.app == "notes"
    assert manager.config.app_version == Version("4.0")
    assert manager.config.deny == frozenset({"x"})
    assert manager.config.enabled == frozenset({"a"})
    assert manager.config.timeout == 5
    assert base.app_version == Version("3.1")  # the given config is a value: unchanged


def test_an_unknown_option_names_every_unknown_key_and_the_valid_ones() -> None:
    with pytest.raises(UsageError) as raised:
        Manager([], apps="x", timout=3)
    message = str(raised.value)
    assert message.startswith("unknown host options apps, timout; the options are ")
    assert "app, app_severity, app_version, " in message


def test_a_bad_version_is_refused_with_the_option_name() -> None:
    with pytest.raises(ValueError, match=r"^api_version: 'one' is not a valid PEP 440 version$"):
        HostConfig.build(api_version="one")


def test_a_manager_built_in_code_reads_no_environment(
    manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifold_plugins.add("a")
    monkeypatch.setenv("MANIFOLD_DENY", "a")
    monkeypatch.setenv("MANIFOLD_SAFE_MODE", "1")
    manager = manifold_plugins.manager()
    assert manager.inspect("a").state == "resolved"
    assert manager.config.safe_mode is False


def test_from_config_reads_the_environment(manifold_plugins: PluginFolder, monkeypatch: pytest.MonkeyPatch) -> None:
    manifold_plugins.add("a")
    manifold_plugins.add("b")
    monkeypatch.setenv("MANIFOLD_DENY", "a")
    monkeypatch.setenv("MANIFOLD_PATH", str(manifold_plugins.root))
    manager = Manager.from_config(start=manifold_plugins.root, cache=False)
    assert manager.inspect("a").reason is not None
    assert manager.inspect("a").reason.code == "denied"  # type: ignore[union-attr]
    assert manager.inspect("b").state == "resolved"


def test_only_the_config_module_reads_the_process_environment() -> None:
    readers = sorted(
        str(path.relative_to(ROOT / "src"))
        for path in (ROOT / "src" / "manifold").rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8")) and path.name != "config.py"
    )
    assert readers == []


def test_an_unknown_plugin_is_a_lookup_error_carrying_the_id(manifold_plugins: PluginFolder) -> None:
    manager = manifold_plugins.manager()
    for call in (manager.inspect, manager.activate, manager.settings, manager.unload):
        with pytest.raises(UnknownPluginError) as raised:
            call("ghost")
        assert isinstance(raised.value, LookupError)
        assert isinstance(raised.value, ManifoldError)
        assert raised.value.plugin == "ghost"
        assert str(raised.value) == "unknown plugin 'ghost': no source has it"


def test_bad_settings_list_every_problem(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add(
        "a",
        settings_schema={
            "properties": {"level": {"type": "integer"}, "name": {"type": "string"}},
            "additionalProperties": False,
        },
    )
    manager = manifold_plugins.manager()
    with pytest.raises(SettingsError) as raised:
        manager.update_settings("a", {"level": "high", "name": 3})
    assert raised.value.plugin == "a"
    assert len(raised.value.problems) == 2
    assert isinstance(raised.value, ValueError)
    assert str(raised.value) == "settings of a: " + "; ".join(raised.value.problems)


def test_add_point_reports_every_problem_at_once(manifold_plugins: PluginFolder) -> None:
    manager = manifold_plugins.manager()
    with pytest.raises(SettingsError) as raised:
        manager.add_point("host.bad", cardinality="few", config_schema={"type": "thing"})  # type: ignore[arg-type]
    assert raised.value.plugin is None
    assert raised.value.subject == "point host.bad"
    assert raised.value.problems[0] == 'cardinality must be "many" or "one", not \'few\''
    assert raised.value.problems[1].startswith("config_schema.type: not a valid JSON Schema")
    assert len(raised.value.problems) == 2


def test_a_configuration_that_is_not_toml_is_placed_by_the_one_toml_reader(tmp_path: Path) -> None:
    from manifold import ConfigError, load_config

    (tmp_path / "manifold.toml").write_text('app = "notes"\ntimeout = = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "manifold.toml", environ={})
    file = tmp_path / "manifold.toml"
    assert str(raised.value) == (
        f"{file} is not a valid configuration:\n{file}:2:11: error[toml-syntax]: invalid TOML: Invalid value"
    )
    assert [d.code for d in raised.value.diagnostics] == ["toml-syntax"]
    (tmp_path / "manifold.toml").write_bytes(b'app = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"the configuration is not UTF-8: byte 0xe9 cannot be decoded"):
        load_config(tmp_path / "manifold.toml", environ={})


def test_every_key_of_the_configuration_schema_is_a_host_option() -> None:
    import dataclasses
    import json

    schema = json.loads((ROOT / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    options = {f.name for f in dataclasses.fields(HostConfig)} | {"sources"}
    keys = {key.replace("-", "_") for key in schema["properties"]} - {"host_points"}  # points, declared on a manager
    assert schema["additionalProperties"] is False
    assert sorted(keys - options) == []
    assert sorted(options - keys) == ["pre_activate"]  # only in code: a callback


def test_the_configuration_turns_the_cache_off(tmp_path: Path) -> None:
    from manifold import load_config

    (tmp_path / "manifold.toml").write_text('sources = ["plugins"]\ncache = false\n', encoding="utf-8")
    (tmp_path / "plugins").mkdir()
    manager = Manager.from_config(tmp_path / "manifold.toml", environ={})
    assert load_config(tmp_path / "manifold.toml", environ={}).options["cache"] is False
    assert manager.config.cache is False


def test_add_point_refuses_an_unknown_option(manifold_plugins: PluginFolder) -> None:
    manager = manifold_plugins.manager()
    with pytest.raises(SettingsError) as raised:
        manager.add_point("host.p", hoook=True)  # type: ignore[call-arg]
    assert raised.value.problems == ("unknown option 'hoook'",)


def test_discovery_logs_one_warning_naming_the_plugins_that_are_news(
    manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture
) -> None:
    """Broken or missing plugins are logged once; what the host asked for (its lists, its versions) is not news."""
    import logging

    manifold_plugins.add("broken", manifest="[plugin]\nid = 'broken'\n")  # no version: invalid
    manifold_plugins.add("needy", dependencies={"ghost": "*"})
    manifold_plugins.add("off")
    manifold_plugins.add("fine")
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manifold_plugins.manager(disabled=["off"]).discover()
    assert caplog.messages == [
        "2 plugins cannot load: broken (invalid); needy (missing-dependency) (manager.report says why)"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manifold_plugins.manager(disabled=["off"], log_unavailable=False).discover()
    assert caplog.messages == []
