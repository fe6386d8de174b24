"""Points the host declares in code, listed once in ``manifold.toml`` (``[[host-points]]``): validate,
the composed schema and the manager all read them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from tests.conftest import WritePlugin
from tests.manifest.test_validate_file import check, only

from manifold import ConfigError, Manager, load_config, validate
from manifold.cli import main

ROOT = Path(__file__).resolve().parents[2]

HOST = """\
sources = ["plugins"]

[[host-points]]
id = "host.menu"
description = "Menu entries."
cardinality = "one"

[host-points.config-schema]
type = "object"
required = ["label"]
properties.label = { type = "string" }
properties.order = { type = "integer", default = 0 }

[[host-points]]
id = "host.on_save"
hook = true
parameters = ["document"]
"""


def simple(write_plugin: WritePlugin, name: str, extra: str = "") -> Path:
    return write_plugin(name, f'[plugin]\nid = "{name}"\nversion = "1.0"\n{extra}')


@pytest.fixture
def host(plugins: Path) -> Path:
    config = plugins.parent / "manifold.toml"
    config.write_text(HOST, encoding="utf-8")
    return config


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_contributions_to_host_points_are_not_unknown(
    write_plugin: WritePlugin, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\nconfig.label = "A"\n')
    assert run(["validate", "plugins"], capsys) == (0, "", "0 errors, 0 warnings; 1 valid manifest\n")
    assert run(["validate", "plugins", "--config", str(host)], capsys)[0] == 0
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    assert report.diagnostics == ()


def test_without_the_configuration_the_point_is_unknown(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\nconfig.label = "A"\n')
    assert validate(["plugins"]).codes() == ["unknown-point"]


def test_config_of_a_contribution_is_checked_against_the_host_points_schema(
    write_plugin: WritePlugin, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\n\n[extensions.config]\norder = "first"\n')
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    assert report.codes() == ["config", "config"]
    assert [(d.path, d.line, d.message) for d in report.diagnostics] == [
        ("extensions[0].config.label", 7, "extensions[0].config.label: required key is missing"),
        ("extensions[0].config.order", 8, 'extensions[0].config.order: expected an integer, got a string ("first")'),
    ]
    assert report.manifests == ()
    code, out, _ = run(["validate", "plugins"], capsys)
    assert code == 1
    assert out.splitlines()[1] == (
        "plugins/a/plugin.toml:8:1: error[config]: extensions[0].config.order: "
        'expected an integer, got a string ("first")'
    )


def test_a_one_point_of_the_host_takes_one_contribution(write_plugin: WritePlugin, host: Path) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\nconfig.label = "A"\n')
    simple(write_plugin, "b", '[[extensions]]\npoint = "host.menu"\nconfig.label = "B"\n')
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    check(
        report,
        "cardinality",
        path="extensions[0].point",
        line=5,
        column=1,
        message='extensions[0].point: point "host.menu" takes one extension and a already contributes one '
        "(extensions[0] of plugins/a/plugin.toml); the host will use only one",
    )
    assert only(report, "cardinality").file == "plugins/b/plugin.toml"


def test_a_manifest_declaring_a_host_point_is_a_duplicate(write_plugin: WritePlugin, host: Path) -> None:
    simple(write_plugin, "a", '[[extension-points]]\nid = "host.menu"\n')
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    check(
        report,
        "duplicate-point",
        path="extension-points[0].id",
        line=5,
        column=1,
        message="extension-points[0].id: a declares point host.menu, which the host already declares",
    )


def test_a_misspelt_point_is_named_with_the_host_points(write_plugin: WritePlugin, host: Path) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menus"\n')
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    check(
        report,
        "unknown-point",
        path="extensions[0].point",
        line=5,
        column=1,
        message="extensions[0].point: neither a manifest nor the host's points declare the point "
        '"host.menus"; did you mean "host.menu"? (fine if the host adds it in code)',
    )


def test_a_bad_host_point_is_a_configuration_error_at_its_line(
    plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = plugins.parent / "manifold.toml"
    config.write_text(
        '[[host-points]]\nid = "host.a"\ninterface = "host.api:A"\n\n'
        '[[host-points]]\nid = "host.a"\nconfig-schema = { type = "strange" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config("manifold.toml", environ={})
    assert [d.format() for d in caught.value.diagnostics] == [
        "manifold.toml:3:1: error[unknown-key]: host-points[0].interface: unknown key; known keys: id, "
        "description, cardinality, config-schema, hook, parameters, firstresult, order, timeout",
        'manifold.toml:6:1: error[duplicate-point]: host-points[1].id: point "host.a" is already declared at '
        "host-points[0]",
        "manifold.toml:7:19: error[invalid-schema]: host-points[1].config-schema.type: not a valid JSON Schema: "
        "'strange' is not valid under any of the given schemas",
    ]
    code, out, err = run(["validate", "plugins"], capsys)
    assert code == 1
    assert out.splitlines() == [
        *(d.format() for d in caught.value.diagnostics),
        "plugins: warning[no-manifests]: no plugin.toml in this folder or its sub-folders",
    ]
    assert err == "3 errors, 1 warning; 0 valid manifests\n"


def test_a_warning_about_a_host_point_is_in_the_report(plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (plugins.parent / "manifold.toml").write_text(
        '[[host-points]]\nid = "host.a"\nparameters = ["x"]\n', encoding="utf-8"
    )
    simple_folder = plugins / "a"
    simple_folder.mkdir()
    (simple_folder / "plugin.toml").write_text('[plugin]\nid = "a"\nversion = "1"\n', encoding="utf-8")
    code, out, err = run(["validate", "plugins"], capsys)
    assert code == 0
    assert out == (
        "manifold.toml:3:1: warning[hook-option]: host-points[0].parameters: only hook points take "
        "'parameters'; add hook = true or remove it\n"
    )
    assert err == "0 errors, 1 warning; 1 valid manifest\n"


def test_host_points_in_pyproject_are_named_from_tool_manifold(plugins: Path) -> None:
    pyproject = plugins.parent / "pyproject.toml"
    pyproject.write_text('[tool.manifold]\n[[tool.manifold.host-points]]\nid = "Host"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(pyproject, environ={})
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line) == ("tool.manifold.host-points[0].id", 3)
    assert diagnostic.message.startswith('tool.manifold.host-points[0].id: "Host" is not an id')


def test_the_manager_declares_the_host_points_of_its_configuration(write_plugin: WritePlugin, host: Path) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\nconfig.label = "A"\n')
    with Manager.from_config(host, environ={}, cache=False) as manager:
        point = manager.points()["host.menu"]
        assert (point.plugin, point.cardinality, point.description) == (None, "one", "Menu entries.")
        assert point.config_schema is not None
        assert point.config_schema["required"] == ["label"]
        hook = manager.points()["host.on_save"]
        assert (hook.hook, hook.parameters) == (True, ("document",))
        assert [h.plugin for h in manager.extensions("host.menu")] == ["a"]
        assert manager.extension("host.menu").load() == {"label": "A", "order": 0}


def test_a_host_building_its_manager_in_code_declares_them_in_one_call(host: Path) -> None:
    with Manager([], cache=False) as manager:
        undo = manager.add_points(load_config(host, environ={}).host_points)
        assert sorted(manager.points()) == ["host.menu", "host.on_save"]
        undo()
        assert manager.points() == {}


def test_the_composed_schema_carries_the_host_points_config_schema(
    write_plugin: WritePlugin, host: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    simple(write_plugin, "a")
    code, out, _ = run(["schema", "--composed"], capsys)
    assert code == 0
    schema = json.loads(out)
    assert schema["definitions"]["pointRef"]["examples"] == ["host.menu", "host.on_save"]
    (rule,) = schema["definitions"]["extension"]["allOf"]
    assert rule["if"] == {"properties": {"point": {"const": "host.menu"}}, "required": ["point"]}
    assert rule["then"]["properties"]["config"]["required"] == ["label"]
    assert rule["then"]["properties"]["config"]["description"] == "Menu entries."


def test_the_pluggy_bridges_point_listed_as_a_host_point_is_known(plugins: Path) -> None:
    (plugins.parent / "manifold.toml").write_text(
        '[[host-points]]\nid = "pluggy"\ndescription = "Objects carrying pluggy hook implementations"\n',
        encoding="utf-8",
    )
    folder = plugins / "a"
    folder.mkdir()
    (folder / "plugin.toml").write_text(
        '[plugin]\nid = "a"\nversion = "1"\n\n[[extensions]]\npoint = "pluggy"\n', encoding="utf-8"
    )
    assert validate(["plugins"], host_points=load_config(environ={}).host_points).diagnostics == ()


def test_the_config_schema_shares_the_point_definitions_of_the_plugin_schema() -> None:
    spec = importlib.util.spec_from_file_location("sync_schemas", ROOT / "schemas" / "sync_bundle_schema.py")
    assert spec is not None
    assert spec.loader is not None
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    plugin = json.loads((ROOT / "schemas" / "plugin.schema.json").read_text(encoding="utf-8"))
    for target in sync.CONFIG_TARGETS:
        config = json.loads(target.read_text(encoding="utf-8"))
        assert sync.sync_config(config, plugin) == config, "run: python schemas/sync_bundle_schema.py"
    point = json.loads(sync.CONFIG_TARGETS[0].read_text(encoding="utf-8"))["definitions"]["hostPoint"]
    assert sorted(point["properties"]) == sorted(
        set(plugin["definitions"]["extensionPoint"]["properties"]) - {"interface"}
    )


HOOK_PLUGIN = (
    '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_a"]\n\n'
    '[[extensions]]\npoint = "host.on_save"\nref = "acme_a:{name}"\n'
)
HOOK_CODE = """\
def on_save(document, when=None):
    pass


def on_save_path(document, path):
    pass


async def on_save_later(*, path, document):
    pass


def wrapped(doc):
    pass


wrapped = staticmethod(wrapped)
"""


@pytest.mark.parametrize(
    ("name", "undeclared"),
    [("on_save", None), ("on_save_path", "path"), ("on_save_later", "path"), ("wrapped", None)],
)
def test_a_hook_implementation_takes_only_the_parameters_its_hook_declares(
    write_plugin: WritePlugin, host: Path, name: str, undeclared: str | None
) -> None:
    write_plugin("a", HOOK_PLUGIN.format(name=name), {"acme_a/__init__.py": HOOK_CODE})
    report = validate(["plugins"], host_points=load_config(host, environ={}).host_points)
    if undeclared is None:
        assert report.diagnostics == ()
        return
    check(
        report,
        "hook-parameters",
        path="extensions[0].ref",
        line=8,
        column=1,
        message=f"extensions[0].ref: acme_a:{name} of a takes parameter {undeclared!r}, which hook host.on_save "
        "does not declare (its parameters: document)",
    )
    assert report.manifests == ()


def test_the_same_check_applies_to_a_manifests_hook_point(write_plugin: WritePlugin) -> None:
    declared = '\n[[extension-points]]\nid = "a.on_save"\nhook = true\nparameters = ["document"]\n'
    manifest = HOOK_PLUGIN.format(name="on_save_path").replace("host.on_save", "a.on_save") + declared
    write_plugin("a", manifest, {"acme_a/__init__.py": HOOK_CODE})
    assert validate(["plugins"]).codes() == ["hook-parameters"]
    assert validate(["plugins"], check_code=False).diagnostics == ()
