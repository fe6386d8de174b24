"""Bundle manifests: one bundle.toml for many plugins, checked like plugin.toml and loaded like drop-in folders."""

from __future__ import annotations

import importlib.util
import json
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from manifold import Manager, pack, validate
from manifold.cli import main
from manifold.manifest.schema import _fast_validator, _validator, load_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]

KIT = """\
[bundle]
id = "acme.kit"
version = "1.0.0"
description = "Three plugins that need each other."

[[plugins]]
path = "alpha"
id = "acme.alpha"
version = "1.0.0"
packages = ["{p}_alpha"]
class = "{p}_alpha:Plugin"

[plugins.dependencies]
"acme.beta" = ">=1"

[[plugins]]
path = "beta"

[[plugins]]
path = "gamma"
id = "acme.gamma"
version = "2.0.0"
packages = ["{p}_gamma"]
class = "{p}_gamma:Plugin"
"""
BETA = """\
[plugin]
id = "acme.beta"
version = "1.5.0"
packages = ["{p}_beta"]
class = "{p}_beta:Plugin"

[dependencies]
"acme.gamma" = ">=2"
"""
CODE = "class Plugin:\n    def activate(self):\n        self.active = True\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def kit(folder: Path, prefix: str) -> Path:
    """A bundle folder of three plugins: alpha needs beta (a member with its own plugin.toml), beta needs gamma."""
    return write(
        folder,
        {
            "bundle.toml": KIT.format(p=prefix),
            "alpha/" + f"{prefix}_alpha/__init__.py": CODE,
            "beta/plugin.toml": BETA.format(p=prefix),
            "beta/" + f"{prefix}_beta/__init__.py": CODE,
            "gamma/" + f"{prefix}_gamma/__init__.py": CODE,
        },
    )


def activation_order(manager: Manager) -> list[str]:
    order: list[str] = []
    manager.on_activated(lambda info: order.append(info.id))
    manager.activate_all()
    return order


# -- loading ---------------------------------------------------------------------------------------


def test_bundle_folder_loads_in_dependency_order(plugins: Path) -> None:
    kit(plugins / "kit", "bf")
    with Manager(["plugins"], environ={}) as manager:
        report = manager.discover()
        assert report.order == ("acme.gamma", "acme.beta", "acme.alpha")
        assert activation_order(manager) == ["acme.gamma", "acme.beta", "acme.alpha"]
        alpha, beta = report.plugins["acme.alpha"], report.plugins["acme.beta"]
        assert (alpha.state, alpha.source, alpha.file) == ("resolved", "plugins", "plugins/kit/bundle.toml")
        assert beta.file == "plugins/kit/beta/plugin.toml"
        assert manager.plugin("acme.alpha").active is True
        assert manager.inspect("acme.alpha").state == "active"
        assert manager.plugin("acme.alpha").__module__ == "bf_alpha"
        assert manager.inspect("acme.alpha").manifest.root == Path("plugins/kit/alpha").absolute()  # type: ignore[union-attr]


def test_bundle_archive_loads_in_dependency_order(plugins: Path, tmp_path: Path) -> None:
    pack(kit(tmp_path / "src" / "kit", "ba"), plugins / "kit.mfz")
    with Manager(["plugins"], environ={}) as manager:
        report = manager.discover()
        assert report.order == ("acme.gamma", "acme.beta", "acme.alpha")
        assert activation_order(manager) == ["acme.gamma", "acme.beta", "acme.alpha"]
        assert report.plugins["acme.alpha"].file == "plugins/kit.mfz/bundle.toml"
        assert report.plugins["acme.beta"].file == "plugins/kit.mfz/beta/plugin.toml"
        module = manager.plugin("acme.alpha").__class__.__module__
        assert module == "ba_alpha"
        spec = importlib.util.find_spec("ba_alpha")
        assert spec is not None
        assert type(spec.loader).__name__ == "zipimporter"
        assert spec.origin == str((plugins / "kit.mfz" / "alpha" / "ba_alpha" / "__init__.py").absolute())


def test_folders_bundles_and_archives_side_by_side(write_plugin: Any, plugins: Path, tmp_path: Path) -> None:
    write_plugin("solo", '[plugin]\nid = "acme.solo"\nversion = "1"\n')
    kit(plugins / "kit", "sb")
    write(tmp_path / "src" / "other", {"plugin.toml": '[plugin]\nid = "acme.other"\nversion = "3"\n'})
    pack(tmp_path / "src" / "other", plugins / "other.mfz")
    with Manager(["plugins"], environ={}) as manager:
        report = manager.discover()
        assert sorted(report.plugins) == ["acme.alpha", "acme.beta", "acme.gamma", "acme.other", "acme.solo"]
        assert all(info.state == "resolved" for info in report.plugins.values())
        assert report.plugins["acme.other"].file == "plugins/other.mfz/plugin.toml"


def test_a_bundle_member_is_shadowed_like_a_plugin_folder(plugins: Path, tmp_path: Path) -> None:
    kit(plugins / "kit", "sh")
    later = write(tmp_path / "later", {"gamma/plugin.toml": '[plugin]\nid = "acme.gamma"\nversion = "9"\n'})
    with Manager(["plugins", later], environ={}) as manager:
        report = manager.discover()
        shadowed = report.plugins[f"acme.gamma@{later}/gamma/plugin.toml"]
        assert shadowed.state == "filtered"
        assert shadowed.reason is not None
        assert shadowed.reason.code == "shadowed"
        assert shadowed.reason.message == (
            f"acme.gamma at {later}/gamma/plugin.toml is shadowed by plugins (plugins/kit/bundle.toml)"
        )
        assert report.plugins["acme.gamma"].version == "2.0.0"


def test_members_inherit_the_bundle_requirements_unless_they_override_them(plugins: Path) -> None:
    write(
        plugins / "kit",
        {
            "bundle.toml": """\
                [bundle]
                id = "acme.kit"
                version = "1"
                requires-api = ">=2"
                target = "acme.host"

                [[plugins]]
                path = "old"
                id = "acme.old"
                version = "1"

                [[plugins]]
                path = "new"
                id = "acme.new"
                version = "1"
                requires-api = ">=1,<2"

                [[plugins]]
                path = "own"
                """,
            "old/.keep": "",
            "new/.keep": "",
            "own/plugin.toml": '[plugin]\nid = "acme.own"\nversion = "1"\n',
        },
    )
    with Manager(["plugins"], app="acme.host", api_version="1.4", environ={}) as manager:
        report = manager.discover()
        assert report.plugins["acme.new"].state == "resolved"
        for pid in ("acme.old", "acme.own"):
            info = report.plugins[pid]
            assert info.state == "filtered"
            assert info.reason is not None
            assert info.reason.code == "incompatible-api"
            assert info.manifest is not None
            assert str(info.manifest.requires_api) == ">=2"
            assert info.manifest.target == "acme.host"


def test_a_broken_bundle_is_one_invalid_entry(plugins: Path) -> None:
    write(
        plugins / "kit",
        {
            "bundle.toml": '[bundle]\nid = "acme.kit"\n\n[[plugins]]\npath = "a"\nid = "acme.a"\nversion = "1"\n',
            "a/.keep": "",
        },
    )
    with Manager(["plugins"], environ={}) as manager:
        info = manager.discover().plugins["plugins/kit/bundle.toml"]
        assert info.state == "filtered"
        assert info.reason is not None
        assert info.reason.code == "invalid"
        assert info.reason.message == (
            "plugins/kit/bundle.toml:1:1: error[missing-key]: bundle.version: required key is missing"
        )
        assert "acme.a" not in manager.report.plugins


def test_only_the_broken_member_is_invalid(plugins: Path) -> None:
    kit(plugins / "kit", "bm")
    text = (plugins / "kit" / "bundle.toml").read_text()
    (plugins / "kit" / "bundle.toml").write_text(text.replace('version = "2.0.0"', 'version = "2.0.0"\nwatts = 3'))
    with Manager(["plugins"], environ={}) as manager:
        report = manager.discover()
        gamma = report.plugins["acme.gamma"]
        assert gamma.state == "filtered"
        assert gamma.reason is not None
        assert gamma.reason.message == (
            "plugins/kit/bundle.toml:23:1: error[unknown-key]: plugins[2].watts: unknown key; known keys: path, id, "
            "version, name, description, license, homepage, authors, tags, requires-api, requires-app, "
            "requires-python, target, markers, requires, packages, distribution, source-root, class, activation, "
            "dependencies, optional-dependencies, settings-schema, extension-points, extensions"
        )
        assert report.plugins["acme.beta"].state == "unresolved"
        assert report.plugins["acme.beta"].reason.code == "dependency-unavailable"  # type: ignore[union-attr]


# -- validation ------------------------------------------------------------------------------------


def only(diagnostics: Any, code: str) -> Any:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [d.format() for d in diagnostics]
    return found[0]


def test_a_member_error_has_the_member_path_line_and_message(plugins: Path) -> None:
    write(
        plugins / "kit",
        {
            "bundle.toml": """\
                [bundle]
                id = "acme.kit"
                version = "1"

                [[plugins]]
                path = "a"
                id = "acme.a"
                version = "1"

                [[plugins]]
                path = "b"
                id = "acme.b"
                version = "1"

                [[plugins]]
                path = "c"
                id = "acme.c"
                version = "1"

                [plugins.dependencies]
                "acme.a" = "1.0"
                "acme.b" = ">=2"
                """,
            "a/.keep": "",
            "b/.keep": "",
            "c/.keep": "",
        },
    )
    report = validate(["plugins/kit"])
    assert [d.format() for d in report.diagnostics] == [
        'plugins/kit/bundle.toml:21:1: error[specifier]: plugins[2].dependencies."acme.a": "1.0" is not a valid '
        'PEP 440 version specifier; did you mean "==1.0"?',
    ]
    d = report.diagnostics[0]
    assert (d.path, d.line, d.column, d.plugin) == ('plugins[2].dependencies."acme.a"', 21, 1, "acme.c")
    assert [m.id for m in report.manifests] == ["acme.a", "acme.b"]

    text = (plugins / "kit" / "bundle.toml").read_text().replace('"1.0"', '"*"')
    (plugins / "kit" / "bundle.toml").write_text(text)
    d = only(validate(["plugins/kit/bundle.toml"]).diagnostics, "version-conflict")
    assert (d.file, d.line, d.column, d.path) == ("plugins/kit/bundle.toml", 22, 1, 'plugins[2].dependencies."acme.b"')
    assert d.message == (
        'plugins[2].dependencies."acme.b": acme.c needs acme.b >=2, but acme.b is version 1 (plugins/kit/bundle.toml)'
    )


def test_member_code_is_checked_in_its_own_folder(plugins: Path) -> None:
    write(
        plugins / "kit",
        {
            "bundle.toml": """\
                [bundle]
                id = "acme.kit"
                version = "1"

                [[plugins]]
                path = "tools/a"
                id = "acme.a"
                version = "1"
                packages = ["cs_a", "cs_gone"]
                class = "cs_a.main:Missing"
                """,
            "tools/a/cs_a/__init__.py": "",
            "tools/a/cs_a/main.py": "class Present:\n    pass\n",
        },
    )
    report = validate(["plugins"])
    assert [d.format() for d in report.diagnostics] == [
        "plugins/kit/bundle.toml:9:21: error[missing-package]: plugins[0].packages[1]: no package cs_gone/ or "
        "module cs_gone.py in the plugin folder",
    ]
    (plugins / "kit" / "tools" / "a" / "cs_gone.py").write_text("")
    assert [d.format() for d in validate(["plugins"]).diagnostics] == [
        "plugins/kit/bundle.toml:10:1: error[missing-object]: plugins[0].class: Missing is not defined at the top "
        "level of cs_a.main (plugins/kit/tools/a/cs_a/main.py)",
    ]


@pytest.mark.parametrize(
    ("member", "code", "line", "message"),
    [
        (
            'path = "../a"\nid = "acme.a"\nversion = "1"',
            "path-escape",
            6,
            'plugins[0].path: "../a" leaves the bundle\'s folder; use a relative path inside it, without ..',
        ),
        (
            'path = "gone"\nid = "acme.a"\nversion = "1"',
            "missing-path",
            6,
            'plugins[0].path: folder "gone" does not exist next to the bundle manifest',
        ),
        (
            'path = "empty"',
            "missing-path",
            6,
            'plugins[0].path: folder "empty" holds no plugin.toml; add one there, '
            "or write the member's keys (id, version, ...) in this table",
        ),
        ('id = "acme.a"\nversion = "1"', "missing-key", 5, "plugins[0].path: required key is missing"),
        ("path = 3", "schema", 6, "plugins[0].path: expected a string, got an integer (3)"),
        ('path = "empty"\nname = "A"', "missing-key", 5, "plugins[0].id: required key is missing"),
    ],
)
def test_member_path_rules(plugins: Path, member: str, code: str, line: int, message: str) -> None:
    write(plugins / "kit", {"bundle.toml": f'[bundle]\nid = "acme.kit"\nversion = "1"\n\n[[plugins]]\n{member}\n'})
    (plugins / "kit" / "empty").mkdir()
    report = validate(["plugins"])
    d = report.diagnostics[0]
    assert (d.code, d.line, d.message) == (code, line, message)
    assert report.manifests == ()


def test_bundle_table_rules(plugins: Path) -> None:
    write(
        plugins / "kit",
        {
            "bundle.toml": """\
                manifest-version = 1

                [bundle]
                id = "Acme"
                version = "one"
                requires-api = "1.2"
                nmae = "x"

                [[plugins]]
                path = "."
                id = "acme.a"
                version = "1"
                """,
        },
    )
    assert [d.format() for d in validate(["plugins"]).diagnostics] == [
        'plugins/kit/bundle.toml:4:1: error[schema]: bundle.id: "Acme" is not an id: lowercase dotted names such as '
        '"acme.kettle" (letters, digits, "_" and "-", each part starting with a letter)',
        'plugins/kit/bundle.toml:5:1: error[version]: bundle.version: "one" is not a valid PEP 440 version '
        '(e.g. "1.2.0", "2.0rc1")',
        'plugins/kit/bundle.toml:6:1: error[specifier]: bundle.requires-api: "1.2" is not a valid PEP 440 version '
        'specifier; did you mean "==1.2"?',
        "plugins/kit/bundle.toml:7:1: error[unknown-key]: bundle.nmae: unknown key; known keys: id, version, "
        "description, requires-api, requires-app, target",
    ]
    assert validate(["plugins"]).manifests == ()  # a broken [bundle] table: none of its members is valid


def test_duplicate_member_ids(plugins: Path) -> None:
    member = '[[plugins]]\npath = "."\nid = "acme.a"\nversion = "{}"\n'
    text = '[bundle]\nid = "acme.kit"\nversion = "1"\n\n' + member.format(1) + "\n" + member.format(2)
    write(plugins / "kit", {"bundle.toml": text})
    assert [d.format() for d in validate(["plugins"]).diagnostics] == [
        'plugins/kit/bundle.toml:12:1: error[duplicate-id]: plugins[1].id: "acme.a" is already the id of '
        "plugins/kit/bundle.toml; plugin ids must be unique",
    ]


def test_manifest_version_and_toml_syntax(plugins: Path) -> None:
    write(plugins / "a", {"bundle.toml": 'manifest-version = 2\n[bundle]\nid = "acme.kit"\nversion = "1"\n'})
    write(plugins / "b", {"bundle.toml": "[bundle\n"})
    assert [d.format() for d in validate(["plugins"]).diagnostics] == [
        "plugins/a/bundle.toml:1:1: error[manifest-version]: manifest-version: 2 is not a manifest version this "
        "manifold reads (it reads version 1); upgrade manifold or write the manifest for version 1",
        "plugins/b/bundle.toml:1:8: error[toml-syntax]: invalid TOML: Expected ']' at the end of a table declaration",
    ]


def test_reference_bundle_validates_with_the_reference_plugin() -> None:
    report = validate([ROOT / "manifests" / "bundle.toml"])
    assert report.diagnostics == ()
    assert [m.id for m in report.manifests] == ["acme.teatime.timer", "acme.teatime.clock", "acme.teatime.scale"]
    timer, clock, scale = report.manifests
    assert timer.requires_api == SpecifierSet(">=1.3,<2")
    assert (clock.requires_api, clock.requires_app) == (SpecifierSet(">=1.2,<2"), SpecifierSet(">=3.1,<4"))
    assert (scale.requires_api, scale.target) == (SpecifierSet(">=1.2,<2"), "acme.kettle-app")
    ids = {m.id for m in validate([ROOT / "manifests", ROOT / "examples" / "plugins"]).manifests}
    assert len(ids) == 8


def test_validate_cli_takes_bundle_files_folders_and_archives(
    plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit(tmp_path / "kit", "vc")
    pack(tmp_path / "kit", plugins / "kit.mfz")
    for path in (str(tmp_path / "kit" / "bundle.toml"), str(tmp_path / "kit"), "plugins/kit.mfz", "plugins"):
        assert main(["validate", path]) == 0
        assert capsys.readouterr() == ("", "0 errors, 0 warnings; 3 valid manifests\n")


# -- the schema ------------------------------------------------------------------------------------


def _sync_module() -> Any:
    spec = importlib.util.spec_from_file_location("sync_bundle_schema", ROOT / "schemas" / "sync_bundle_schema.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundle_schema_repeats_the_plugin_schema_exactly() -> None:
    sync = _sync_module()
    bundle = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8"))
    plugin = json.loads((ROOT / "schemas" / "plugin.schema.json").read_text(encoding="utf-8"))
    assert sync.render(sync.sync(bundle, plugin)) == (ROOT / "schemas" / "bundle.schema.json").read_text(
        encoding="utf-8"
    ), "run: python schemas/sync_bundle_schema.py"
    member = bundle["definitions"]["member"]["properties"]
    assert set(member) == {"path"} | set(plugin["definitions"]["plugin"]["properties"]) | (
        set(plugin["properties"]) - {"plugin", "manifest-version"}
    )


def test_bundle_schema_is_editor_quality() -> None:
    schema = load_schema("bundle")
    assert schema["$id"] == "https://manifold-plugins.dev/schemas/v1/bundle.schema.json"
    assert schema_text("bundle") == (ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8")

    def annotated(node: dict[str, Any]) -> dict[str, Any]:
        return node["allOf"][0] if "allOf" in node else node

    own = {k: v for k, v in schema["definitions"].items() if k not in load_schema("plugin")["definitions"]}
    for name, node in [("(root)", schema), *own.items()]:
        words = annotated(node)
        assert {"title", "description", "examples"} <= set(words), name
        if node.get("type") == "object":
            assert "additionalProperties" in node, name
        for key, prop in node.get("properties", {}).items():
            assert set(prop) == {"$ref"} or {"title", "description"} <= set(annotated(prop)), (name, key)

    def refs(value: Any) -> list[tuple[str, dict[str, Any]]]:
        if isinstance(value, dict):
            found = [("", value)] if "$ref" in value else []
            return found + [r for item in value.values() for r in refs(item)]
        if isinstance(value, list):
            return [r for item in value for r in refs(item)]
        return []

    for _, node in refs(schema):
        assert set(node) == {"$ref"}
        assert node["$ref"].startswith("#/definitions/")
        assert node["$ref"].removeprefix("#/definitions/") in schema["definitions"]


@pytest.mark.parametrize(
    "path",
    [
        *sorted((ROOT / "tests" / "fixtures" / "editors" / "bundles").glob("*/*/bundle.toml")),
        ROOT / "manifests/bundle.toml",
    ],
    ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}",
)
def test_both_engines_agree_on_the_bundle_fixtures(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        _fast_validator("bundle")(data)
        fast = True
    except Exception:
        fast = False
    slow = not any(True for _ in _validator("bundle").iter_errors(data))
    assert fast == slow == (path.parent.parent.name != "invalid")


def test_schema_command_prints_the_bundle_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "bundle"]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8")
