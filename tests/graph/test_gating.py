"""Gating and resolution: every reason code a host sees, with the plugin, the reason and its words."""

from __future__ import annotations

import logging
import platform
import sys

import pytest

from manifold import HostConfig, Manager, Reason
from manifold.testing import PluginFolder
from manifold.tools.describe import describe_plugin, list_plugins


def reason_of(manager: Manager, plugin_id: str) -> tuple[str, str | None, str | None]:
    info = manager.inspect(plugin_id)
    return info.state, info.reason.code if info.reason else None, info.reason.message if info.reason else None


def test_plugins_without_problems_resolve_in_dependency_order(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("b", dependencies={"a": ">=1"})
    manifold_plugins.add("c", dependencies={"b": "*"}, optional_dependencies={"a": "*"})
    manifold_plugins.add("a")
    manifold_plugins.add("z")
    manager = manifold_plugins.manager()
    report = manager.discover()
    assert report.order == ("a", "b", "c", "z")
    assert {pid: info.state for pid, info in report.plugins.items()} == {
        "a": "resolved",
        "b": "resolved",
        "c": "resolved",
        "z": "resolved",
    }


def test_order_is_by_id_among_independent_plugins(manifold_plugins: PluginFolder) -> None:
    for pid in ["m", "b", "x", "a"]:
        manifold_plugins.add(pid, folder=f"folder-{len(pid)}-{pid[::-1]}")
    assert manifold_plugins.manager().load_order == ("a", "b", "m", "x")


def test_invalid_manifest(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", manifest='[plugin]\nid = "a"\nversion = "one"\ncolour = 1\n')
    manager = manifold_plugins.manager()
    state, code, message = reason_of(manager, "a")
    assert (state, code) == ("filtered", "invalid")
    assert message == (
        f'{manifold_plugins.root}/a/plugin.toml:3:1: error[version]: plugin.version: "one" is not a valid '
        'PEP 440 version (e.g. "1.2.0", "2.0rc1") (and 1 more)'
    )
    assert [d.code for d in manager.report.diagnostics] == ["version", "unknown-key"]


def test_unreadable_manifest_is_named_by_its_file(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("x", manifest="[plugin\n")
    report = manifold_plugins.manager().discover()
    file = f"{manifold_plugins.root}/x/plugin.toml"
    assert report.plugins[file].state == "filtered"
    assert report.plugins[file].reason.code == "invalid"  # type: ignore[union-attr]


def test_not_found(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    manager = manifold_plugins.manager(enabled=["a", "ghost"], required=["spirit"])
    assert reason_of(manager, "ghost") == ("filtered", "not-found", "ghost is in no source")
    assert reason_of(manager, "spirit") == ("filtered", "not-found", "spirit is in no source")
    assert manager.inspect("a").state == "resolved"


def test_disabled_wins_over_enabled(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    manifold_plugins.add("b")
    manager = manifold_plugins.manager(enabled=["a"], disabled=["a"])
    assert reason_of(manager, "a") == ("filtered", "disabled", "a is in the disabled list")
    assert reason_of(manager, "b") == ("filtered", "not-enabled", "b is not in the enabled list")


def test_allow_and_deny_lists(manifold_plugins: PluginFolder) -> None:
    for pid in "abc":
        manifold_plugins.add(pid)
    manager = manifold_plugins.manager(allow=["a", "b"], deny=["b"])
    assert manager.inspect("a").state == "resolved"
    assert reason_of(manager, "b") == ("filtered", "denied", "b is in the deny list")
    assert reason_of(manager, "c") == ("filtered", "denied", "c is not in the allow list")


def test_operator_lists_from_the_environment(manifold_plugins: PluginFolder) -> None:
    for pid in "abc":
        manifold_plugins.add(pid)
    manager = manifold_plugins.manager(environ={"MANIFOLD_ALLOW": " a, b ,", "MANIFOLD_DENY": "b"})
    assert manager.inspect("a").state == "resolved"
    assert reason_of(manager, "b")[1] == "denied"
    assert reason_of(manager, "c") == ("filtered", "denied", "c is not in the allow list")


def test_api_version_error(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("old", requires_api=">=0.1,<1")
    manifold_plugins.add("new", requires_api=">=1.2")
    manager = manifold_plugins.manager(api_version="1.4")
    assert reason_of(manager, "old") == (
        "filtered",
        "incompatible-api",
        "old requires plugin API >=0.1,<1, but this host provides 1.4",
    )
    assert manager.inspect("new").state == "resolved"


def test_api_version_warning_loads_and_logs(manifold_plugins: PluginFolder, caplog: pytest.LogCaptureFixture) -> None:
    manifold_plugins.add("old", requires_api="<1")
    with caplog.at_level(logging.WARNING, logger="manifold"):
        manager = manifold_plugins.manager(api_version="1.4", api_severity="warning")
        assert manager.inspect("old").state == "resolved"
    assert caplog.messages == [
        "old requires plugin API <1, but this host provides 1.4; loading it anyway (api_severity is 'warning')"
    ]


def test_a_soft_gate_leaves_its_warning_in_the_report_and_inspect(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("old", requires_api=">= 0.1, < 1")
    manifold_plugins.add("old-app", requires_app="<3")
    manifold_plugins.add("fine", requires_api=">=1", requires_app=">=3")
    manager = manifold_plugins.manager(
        app="notes", app_version="3.1", api_version="1.4", api_severity="warning", app_severity="warning"
    )
    report = manager.discover()
    api = Reason(
        "incompatible-api",
        "old requires plugin API >= 0.1, < 1, but this host provides 1.4;"
        " loading it anyway (api_severity is 'warning')",
    )
    app = Reason(
        "incompatible-app", "old-app requires notes <3, not 3.1; loading it anyway (app_severity is 'warning')"
    )
    assert report.warnings == {"old": (api,), "old-app": (app,)}
    assert manager.inspect("old").warnings == (api,)
    assert (manager.inspect("old").state, manager.inspect("old").reason) == ("resolved", None)
    assert manager.inspect("old-app").state == "resolved"
    assert manager.inspect("fine").warnings == ()
    assert describe_plugin(manager, "old")["warnings"] == [{"code": "incompatible-api", "message": api.message}]
    assert [row["warnings"] for row in list_plugins(manager)] == [[], [api_row(api)], [api_row(app)]]


def api_row(reason: Reason) -> dict[str, str]:
    return {"code": reason.code, "message": reason.message}


def test_app_severity_error_is_the_default(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("old-app", requires_app="<3")
    manager = manifold_plugins.manager(app_version="3.1")
    assert reason_of(manager, "old-app") == (
        "filtered",
        "incompatible-app",
        "old-app requires the application <3, not 3.1",
    )
    assert manager.report.warnings == {}
    with pytest.raises(ValueError, match='app_severity must be "error" or "warning", not \'loud\''):
        manifold_plugins.manager(app_severity="loud")


def test_requirement_text_is_kept_as_written(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", requires_api="< 1 , >=0.1", requires_app="~= 2.0", requires_python=">=3.8 ,<4")
    manifold_plugins.add("b", dependencies={"a": ">= 1.0 , < 2"}, optional_dependencies={"c": "== 1.*"})
    manager = manifold_plugins.manager()
    a = manager.inspect("a").manifest
    b = manager.inspect("b").manifest
    assert a is not None
    assert b is not None
    assert (a.requires_api_text, a.requires_app_text, a.requires_python_text) == ("< 1 , >=0.1", "~= 2.0", ">=3.8 ,<4")
    assert str(a.requires_api) == "<1,>=0.1"
    assert (b.dependency_text("a"), b.dependency_text("c"), b.dependency_text("z")) == (">= 1.0 , < 2", "== 1.*", None)
    assert b.requires_api_text is None
    assert describe_plugin(manager, "b")["requires"] == {
        "dependencies": {"a": ">= 1.0 , < 2"},
        "optional-dependencies": {"c": "== 1.*"},
    }


def test_empty_enabled_and_allow_lists_restrict_nothing(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    manifold_plugins.add("b")
    for options in ({"enabled": []}, {"allow": []}, {"enabled": [], "allow": [], "deny": ["b"]}):
        manager = manifold_plugins.manager(**options)
        assert manager.inspect("a").state == "resolved", options
    assert reason_of(manager, "b") == ("filtered", "denied", "b is in the deny list")
    assert HostConfig.build(enabled=[], allow=[]).enabled is None
    assert HostConfig.build(enabled=[], allow=[]).allow is None
    direct = manifold_plugins.manager(config=HostConfig(enabled=frozenset(), allow=frozenset()))
    assert direct.inspect("b").state == "resolved"


def test_app_version_and_targets(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("old-app", requires_app="<3", target="notes")
    manifold_plugins.add("other-app", target="paint")
    manifold_plugins.add("untargeted")
    manifold_plugins.add("fine", target="notes", requires_app=">=3")
    manager = manifold_plugins.manager(app="notes", app_version="3.1", require_target=True)
    assert reason_of(manager, "old-app") == (
        "filtered",
        "incompatible-app",
        "old-app requires notes <3, not 3.1",
    )
    assert reason_of(manager, "other-app") == (
        "filtered",
        "wrong-target",
        "other-app is made for 'paint', not for 'notes'",
    )
    assert reason_of(manager, "untargeted") == (
        "filtered",
        "missing-target",
        "untargeted names no target; this host (notes) requires one",
    )
    assert manager.inspect("fine").state == "resolved"


def test_python_markers_and_requirements(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("future", requires_python=">=4")
    manifold_plugins.add("elsewhere", markers="sys_platform == 'nowhere'")
    manifold_plugins.add("needs", requires=["packaging>=1", "surely-not-installed-dist>=1", "jsonschema<0.1"])
    manifold_plugins.add(
        "ok", requires=["packaging", "nothing-real; python_version < '3'"], markers="python_version >= '3'"
    )
    manager = manifold_plugins.manager()
    assert reason_of(manager, "future") == (
        "filtered",
        "incompatible-python",
        f"future requires Python >=4, not {platform.python_version()}",
    )
    assert reason_of(manager, "elsewhere") == (
        "filtered",
        "markers",
        'elsewhere\'s markers are false here: sys_platform == "nowhere"',
    )
    assert reason_of(manager, "needs") == (
        "filtered",
        "missing-requirement",
        "needs needs surely-not-installed-dist>=1, jsonschema<0.1 installed",
    )
    assert manager.inspect("ok").state == "resolved"


def test_pre_activate(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", tags=["beta"])
    manifold_plugins.add("b")
    manifold_plugins.add("boom")

    def pre_activate(manifest: object) -> bool:
        if getattr(manifest, "id", None) == "boom":
            raise RuntimeError("no")
        return "beta" not in getattr(manifest, "tags", ())

    manager = manifold_plugins.manager(pre_activate=pre_activate)
    assert reason_of(manager, "a") == (
        "filtered",
        "pre-activate-rejected",
        "the host's pre_activate rejected a",
    )
    assert reason_of(manager, "boom") == (
        "filtered",
        "pre-activate-rejected",
        "the host's pre_activate raised RuntimeError: no",
    )
    assert manager.inspect("b").state == "resolved"


def test_invalid_settings(manifold_plugins: PluginFolder) -> None:
    schema = {"properties": {"level": {"type": "integer", "default": 3}}, "additionalProperties": False}
    manifold_plugins.add("a", settings_schema=schema)
    manifold_plugins.add("b", settings_schema=schema)
    manager = manifold_plugins.manager(settings={"a": {"level": "high"}, "b": {}})
    assert reason_of(manager, "a") == (
        "filtered",
        "invalid-settings",
        'settings of a: level: expected an integer, got a string ("high")',
    )
    assert dict(manager.settings("b")) == {"level": 3}


def test_shadowed_plugin_names_both_places(manifold_plugins: PluginFolder, tmp_path: object) -> None:
    manifold_plugins.add("a", version="2.0")
    system = PluginFolder(manifold_plugins.root.parent / "system")
    system.root.mkdir()
    system.add("a", version="1.0")
    manager = manifold_plugins.manager(system.root)
    assert manager.inspect("a").version == "2.0"
    shadow = f"a@{system.root}/a/plugin.toml"
    assert reason_of(manager, shadow) == (
        "filtered",
        "shadowed",
        f"a at {system.root}/a/plugin.toml is shadowed by {manifold_plugins.root} "
        f"({manifold_plugins.root}/a/plugin.toml)",
    )


def test_missing_dependency_and_version_conflict(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("base", version="1.4")
    manifold_plugins.add("a", dependencies={"ghost": "*"})
    manifold_plugins.add("b", dependencies={"base": ">=2"})
    manifold_plugins.add("c", optional_dependencies={"base": ">=2", "ghost": "*"})
    manager = manifold_plugins.manager()
    assert reason_of(manager, "a") == (
        "unresolved",
        "missing-dependency",
        "a needs ghost, but no manifest found has the id ghost",
    )
    assert reason_of(manager, "b") == (
        "unresolved",
        "version-conflict",
        f"b needs base >=2, but base is version 1.4 ({manifold_plugins.root}/base/plugin.toml)",
    )
    assert manager.inspect("c").state == "resolved"


def test_cycle_makes_every_member_and_dependent_unavailable(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", dependencies={"b": "*"})
    manifold_plugins.add("b", dependencies={"c": "*"})
    manifold_plugins.add("c", dependencies={"a": "*"})
    manifold_plugins.add("d", dependencies={"c": "*"})
    manager = manifold_plugins.manager()
    for pid in "abc":
        assert reason_of(manager, pid) == ("unresolved", "cycle", "dependency cycle a -> b -> c -> a")
    assert reason_of(manager, "d") == (
        "unresolved",
        "dependency-unavailable",
        "d is unavailable because c is unavailable: dependency cycle a -> b -> c -> a",
    )
    assert manager.load_order == ()


def test_dependency_unavailable_carries_the_chain(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    manifold_plugins.add("b", dependencies={"a": "*"})
    manifold_plugins.add("c", dependencies={"b": "*"})
    manager = manifold_plugins.manager(deny=["a"])
    info = manager.inspect("c")
    assert info.reason is not None
    assert (info.state, info.reason.code, info.reason.chain) == (
        "unresolved",
        "dependency-unavailable",
        ("b", "a"),
    )
    assert info.reason.message == (
        "c is unavailable because b is unavailable because a is unavailable: a is in the deny list"
    )


def test_package_conflict_keeps_the_earlier_plugin(manifold_plugins: PluginFolder) -> None:
    code = {"shared_pkg/__init__.py": ""}
    manifold_plugins.add("a", packages=["shared_pkg"], files=code)
    manifold_plugins.add("b", packages=["shared_pkg"], files=code)
    manager = manifold_plugins.manager()
    assert manager.inspect("a").state == "resolved"
    assert reason_of(manager, "b") == (
        "unresolved",
        "package-conflict",
        f"b ships package shared_pkg, which a ({manifold_plugins.root}/a/plugin.toml) already ships",
    )


def test_duplicate_point_keeps_the_earlier_plugin(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a", extension_points=[{"id": "shared.point"}])
    manifold_plugins.add("b", extension_points=[{"id": "shared.point"}])
    manager = manifold_plugins.manager()
    manager.add_point("host.point")
    manifold_plugins.add("c", extension_points=[{"id": "host.point"}])
    assert manager.inspect("a").state == "resolved"
    assert reason_of(manager, "b") == (
        "unresolved",
        "duplicate-point",
        f"b declares point shared.point, which a ({manifold_plugins.root}/a/plugin.toml) already declares",
    )
    assert reason_of(manager, "c") == (
        "unresolved",
        "duplicate-point",
        "c declares point host.point, which the host already declares",
    )


def test_missing_source_is_reported_not_raised(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add("a")
    manager = manifold_plugins.manager(manifold_plugins.root.parent / "nowhere", "pkg://surely_no_such_package/x")
    report = manager.discover()
    assert report.order == ("a",)
    assert [(d.code, d.severity) for d in report.diagnostics] == [
        ("source", "warning"),
        ("source", "warning"),
    ]
    assert report.diagnostics[0].message == f"{manifold_plugins.root.parent / 'nowhere'}: no such folder"
    assert report.diagnostics[1].message.startswith(
        "pkg://surely_no_such_package/x: package 'surely_no_such_package' cannot be found: "
    )


def test_discovery_reads_no_code_and_report_groups_reasons(manifold_plugins: PluginFolder) -> None:
    manifold_plugins.add(
        "a", packages=["gate_a"], activation="eager", files={"gate_a/__init__.py": "raise SystemExit(9)\n"}
    )
    manifold_plugins.add("b")
    finders = list(sys.meta_path)
    manager = manifold_plugins.manager(disabled=["b"])
    report = manager.discover()
    assert sys.meta_path == finders
    assert report.by_reason() == {"disabled": ["b"]}
    assert report.plugins["a"].state == "resolved"


def test_manifold_list_and_inspect_show_a_soft_gates_warning(
    manifold_plugins: PluginFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    from manifold.cli import main

    manifold_plugins.add("old", requires_api="<1")
    config = manifold_plugins.root.parent / "manifold.toml"
    config.write_text(
        f'sources = ["{manifold_plugins.root}"]\napi-version = "1.4"\napi-severity = "warning"\ncache-dir = ".cache"\n'
    )
    warning = (
        "warning: incompatible-api: old requires plugin API <1, but this host provides 1.4;"
        " loading it anyway (api_severity is 'warning')"
    )
    assert main(["inspect", "old", "--config", str(config)]) == 0
    assert f"  warning:      {warning[len('warning: ') :]}\n" in capsys.readouterr().out
    assert main(["list", "--config", str(config)]) == 0
    assert warning in capsys.readouterr().out
