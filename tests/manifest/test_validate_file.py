"""Diagnostics of one manifest: each code with its key path, line, column and words."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold import Diagnostic, Report, validate
from manifold.manifest.read import parse_manifest

KETTLE_CODE = {"acme_kettle/__init__.py": "class Plugin:\n    pass\n\ndef boil():\n    pass\n"}


def only(report: Report, code: str) -> Diagnostic:
    found = [d for d in report.diagnostics if d.code == code]
    assert len(found) == 1, report.diagnostics
    return found[0]


def check(
    report: Report,
    code: str,
    *,
    path: str | None,
    line: int | None,
    column: int | None,
    message: str,
) -> None:
    d = only(report, code)
    assert (d.code, d.path, d.line, d.column, d.message) == (code, path, line, column, message)


def test_valid_manifest_gives_no_diagnostics(write_plugin: WritePlugin) -> None:
    write_plugin(
        "kettle",
        """
        [plugin]
        id = "acme.kettle"
        version = "1.0"
        packages = ["acme_kettle"]
        class = "acme_kettle:Plugin"
        requires-api = ">=1,<2"
        requires-python = ">=3.11"
        markers = "python_version >= '3'"
        requires = ["packaging>=20"]

        [[extension-points]]
        id = "acme.kettle.on-boil"
        hook = true
        parameters = ["kettle"]

        [[extensions]]
        point = "acme.kettle.on-boil"
        ref = "acme_kettle:boil"
        """,
        KETTLE_CODE,
    )
    report = validate(["plugins"])
    assert report.diagnostics == ()
    assert report.ok
    assert [m.id for m in report.manifests] == ["acme.kettle"]


def test_toml_syntax_error_has_line_and_column(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = 1.0.0\n')
    report = validate(["plugins"])
    d = only(report, "toml-syntax")
    assert (d.file, d.line, d.column, d.path, d.severity) == (
        "plugins/a/plugin.toml",
        3,
        14,
        None,
        "error",
    )
    assert d.message == "invalid TOML: Expected newline or end of document after a statement"
    assert d.format() == (
        "plugins/a/plugin.toml:3:14: error[toml-syntax]: invalid TOML: "
        "Expected newline or end of document after a statement"
    )


def test_toml_syntax_error_at_end_of_file(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1\n')
    d = only(validate(["plugins"]), "toml-syntax")
    assert d.line == 3
    assert d.message.startswith("invalid TOML: ")


def test_not_utf8(plugins: Path) -> None:
    (plugins / "a").mkdir()
    (plugins / "a" / "plugin.toml").write_bytes(b'[plugin]\nid = "caf\xe9"\n')
    report = validate(["plugins"])
    check(
        report,
        "encoding",
        path=None,
        line=2,
        column=10,
        message="the manifest is not UTF-8: byte 0xe9 cannot be decoded",
    )


def test_utf8_bom_is_accepted(write_plugin: WritePlugin, plugins: Path) -> None:
    folder = write_plugin("a", "")
    (folder / "plugin.toml").write_bytes(b'\xef\xbb\xbf[plugin]\nid = "a"\nversion = "1"\n')
    assert validate(["plugins"]).diagnostics == ()


def test_read_error(tmp_path: Path) -> None:
    (tmp_path / "plugin.toml").mkdir()
    parsed = parse_manifest(tmp_path / "plugin.toml", file="x/plugin.toml", root=tmp_path)
    (d,) = parsed.diagnostics
    assert (d.code, d.file) == ("read-error", "x/plugin.toml")
    assert d.message == "cannot read the manifest: Is a directory"


def test_schema_comment_first_line_is_ignored(write_plugin: WritePlugin) -> None:
    write_plugin("a", '#:schema ./plugin.schema.json\n\n[plugin]\nid = "a"\nversion = "1"\n')
    assert validate(["plugins"]).diagnostics == ()


@pytest.mark.parametrize(("value", "shown"), [("2", "2"), ('"1"', '"1"'), ("0", "0")])
def test_manifest_version(write_plugin: WritePlugin, value: str, shown: str) -> None:
    write_plugin("a", f'manifest-version = {value}\n[plugin]\nid = "a"\nversion = "1"\n')
    check(
        validate(["plugins"]),
        "manifest-version",
        path="manifest-version",
        line=1,
        column=1,
        message=f"manifest-version: {shown} is not a manifest version this manifold reads (it reads "
        "version 1); upgrade manifold or write the manifest for version 1",
    )


def test_unknown_key_suggests_the_close_one(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nverison = "2"\n')
    check(
        validate(["plugins"]),
        "unknown-key",
        path="plugin.verison",
        line=4,
        column=1,
        message='plugin.verison: unknown key; did you mean "version"?',
    )


def test_unknown_key_without_close_match_lists_known_keys(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[[extensions]]\npoint = "x"\nzzz = 1\n')
    d = only(validate(["plugins"]), "unknown-key")
    assert (d.path, d.line, d.column) == ("extensions[0].zzz", 7, 1)
    assert d.message == "extensions[0].zzz: unknown key; known keys: point, ref, id, priority, config, markers, wrapper"


def test_unknown_top_level_table(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[dependency]\n"b" = "*"\n')
    check(
        validate(["plugins"]),
        "unknown-key",
        path="dependency",
        line=5,
        column=1,
        message='dependency: unknown key; did you mean "dependencies"?',
    )


def test_missing_required_key_points_at_its_table(write_plugin: WritePlugin) -> None:
    write_plugin("a", '# comment\n[plugin]\nid = "a"\n')
    check(
        validate(["plugins"]),
        "missing-key",
        path="plugin.version",
        line=2,
        column=1,
        message="plugin.version: required key is missing",
    )


def test_missing_plugin_table(write_plugin: WritePlugin) -> None:
    write_plugin("a", "manifest-version = 1\n")
    d = only(validate(["plugins"]), "missing-key")
    assert (d.path, d.message) == ("plugin", "plugin: required key is missing")


def test_wrong_type(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\ntags = "kitchen"\n')
    check(
        validate(["plugins"]),
        "schema",
        path="plugin.tags",
        line=4,
        column=1,
        message='plugin.tags: expected an array, got a string ("kitchen")',
    )


def test_bad_id(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "Acme.Kettle"\nversion = "1"\n')
    d = only(validate(["plugins"]), "schema")
    assert (d.path, d.line, d.column, d.plugin) == ("plugin.id", 2, 1, "Acme.Kettle")
    assert d.message == (
        'plugin.id: "Acme.Kettle" is not an id: lowercase dotted names such as "acme.kettle" '
        '(letters, digits, "_" and "-", each part starting with a letter)'
    )


def test_id_with_a_trailing_newline(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "acme.a\\n"\nversion = "1"\n')
    d = only(validate(["plugins"]), "schema")
    assert (d.path, d.line) == ("plugin.id", 2)
    assert d.message.startswith('plugin.id: "acme.a\\n" is not an id: ')


def test_id_too_long(write_plugin: WritePlugin) -> None:
    write_plugin("a", f'[plugin]\nid = "{"a" * 129}"\nversion = "1"\n')
    d = only(validate(["plugins"]), "schema")
    assert d.message == "plugin.id: is 129 characters long; at most 128 allowed"


def test_enum_value_lists_choices(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nactivation = "eagre"\n')
    check(
        validate(["plugins"]),
        "schema",
        path="plugin.activation",
        line=4,
        column=1,
        message='plugin.activation: "eagre" is not one of "lazy", "eager"; did you mean "eager"?',
    )


def test_bad_reference_syntax(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nclass = "pkg.mod.Thing"\n')
    d = only(validate(["plugins"]), "schema")
    assert (d.path, d.line) == ("plugin.class", 4)
    assert d.message == 'plugin.class: "pkg.mod.Thing" is not a reference of the form "package.module:Qualname"'


def test_dependency_key_must_be_an_id(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[dependencies]\n"Acme" = "*"\n')
    d = only(validate(["plugins"]), "schema")
    assert (d.path, d.line, d.column) == ("dependencies.Acme", 6, 1)
    assert d.message.startswith('dependencies.Acme: "Acme" is not an id: ')


def test_every_problem_is_reported_not_only_the_first(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "one"\nrequires-api = "1.0"\ntags = 3\ncolour = "red"\n',
    )
    report = validate(["plugins"])
    assert [(d.code, d.line) for d in report.diagnostics] == [
        ("version", 3),
        ("specifier", 4),
        ("schema", 5),
        ("unknown-key", 6),
    ]


def test_version(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "acme.a"\nversion = "1.0-final-x"\n')
    check(
        validate(["plugins"]),
        "version",
        path="plugin.version",
        line=3,
        column=1,
        message='plugin.version: "1.0-final-x" is not a valid PEP 440 version (e.g. "1.2.0", "2.0rc1")',
    )
    assert only(validate(["plugins"]), "version").plugin == "acme.a"


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("requires-api", "1.2", '; did you mean "==1.2"?'),
        ("requires-app", ">>2", ' (e.g. ">=1.2,<2", or "*" for any version)'),
        ("requires-python", "^3.11", ' (e.g. ">=1.2,<2", or "*" for any version)'),
    ],
)
def test_specifier(write_plugin: WritePlugin, key: str, value: str, hint: str) -> None:
    write_plugin("a", f'[plugin]\nid = "a"\nversion = "1"\n{key} = "{value}"\n')
    check(
        validate(["plugins"]),
        "specifier",
        path=f"plugin.{key}",
        line=4,
        column=1,
        message=f'plugin.{key}: "{value}" is not a valid PEP 440 version specifier{hint}',
    )


def test_dependency_specifier(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[optional-dependencies]\nb = "=>1"\n')
    d = only(validate(["plugins"]), "specifier")
    assert (d.path, d.line) == ("optional-dependencies.b", 6)


@pytest.mark.parametrize("star", ["*", "", " * "])
def test_any_version_specifiers(write_plugin: WritePlugin, star: str) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n')
    write_plugin("b", f'[plugin]\nid = "b"\nversion = "1"\n[dependencies]\na = "{star}"\n')
    assert validate(["plugins"]).diagnostics == ()


def test_marker(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nmarkers = "sys_platform = \'linux\'"\n')
    d = only(validate(["plugins"]), "marker")
    assert (d.path, d.line, d.column) == ("plugin.markers", 4, 1)
    assert d.message.startswith(
        "plugin.markers: \"sys_platform = 'linux'\" is not a valid PEP 508 environment marker "
        "(e.g. \"sys_platform == 'linux'\"): Expected "
    )


def test_extension_marker(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n[[extensions]]\npoint = "p"\nmarkers = "nope"\n')
    d = only(validate(["plugins"]), "marker")
    assert (d.path, d.line) == ("extensions[0].markers", 6)


def test_requirement(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nrequires = ["ok>=1", "bad>="]\n')
    d = only(validate(["plugins"]), "requirement")
    assert (d.path, d.line, d.column) == ("plugin.requires[1]", 4, 22)
    assert d.message.startswith(
        'plugin.requires[1]: "bad>=" is not a valid PEP 508 requirement (e.g. "requests>=2.31"): '
    )


def test_reference_outside_packages(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_kettle"]\n'
        '[[extensions]]\npoint = "p"\nref = "json.decoder:JSONDecoder"\n',
        KETTLE_CODE,
    )
    check(
        validate(["plugins", "--"][:1]),
        "reference",
        path="extensions[0].ref",
        line=7,
        column=1,
        message="extensions[0].ref: module json.decoder is not in this plugin's packages (plugin.packages "
        'is ["acme_kettle"]); add "json" to plugin.packages or fix the reference',
    )


def test_reference_without_packages(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nclass = "acme:Plugin"\n')
    d = only(validate(["plugins"]), "reference")
    assert d.message == (
        "plugin.class: module acme is not in this plugin's packages (plugin.packages is empty); "
        'add "acme" to plugin.packages or fix the reference'
    )


def test_missing_module(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_kettle"]\nsource-root = "src"\n'
        'class = "acme_kettle.core:Plugin"\n',
        {"src/acme_kettle/__init__.py": ""},
    )
    check(
        validate(["plugins"]),
        "missing-module",
        path="plugin.class",
        line=6,
        column=1,
        message="plugin.class: module acme_kettle.core not found: no acme_kettle/core.py or "
        'acme_kettle/core/__init__.py in "src"',
    )


def test_missing_package(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_gone"]\n')
    check(
        validate(["plugins"]),
        "missing-package",
        path="plugin.packages[0]",
        line=4,
        column=13,
        message="plugin.packages[0]: no package acme_gone/ or module acme_gone.py in the plugin folder",
    )


def test_single_module_package_is_found(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_single"]\nclass = "acme_single:P"\n',
        {"acme_single.py": "class P: ...\n"},
    )
    assert validate(["plugins"]).diagnostics == ()


def test_missing_source_root(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nsource-root = "lib"\n')
    check(
        validate(["plugins"]),
        "missing-path",
        path="plugin.source-root",
        line=4,
        column=1,
        message='plugin.source-root: folder "lib" does not exist in the plugin folder',
    )


@pytest.mark.parametrize("root", ["../elsewhere", "/usr/lib", "src/../../x", "C:/x"])
def test_path_escape(write_plugin: WritePlugin, root: str) -> None:
    write_plugin("a", f'[plugin]\nid = "a"\nversion = "1"\nsource-root = "{root}"\n')
    check(
        validate(["plugins"]),
        "path-escape",
        path="plugin.source-root",
        line=4,
        column=1,
        message=f'plugin.source-root: "{root}" leaves the plugin folder; use a relative path inside it, without ..',
    )


def test_shadowing_the_standard_library(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\npackages = ["json"]\n', {"json/__init__.py": ""})
    check(
        validate(["plugins"]),
        "shadowing",
        path="plugin.packages[0]",
        line=4,
        column=13,
        message='plugin.packages[0]: "json" would shadow the standard-library module json; rename the package',
    )


def test_shadowing_an_installed_module(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\npackages = ["packaging"]\n', {"packaging.py": ""})
    d = only(validate(["plugins"]), "shadowing")
    assert d.message.startswith('plugin.packages[0]: "packaging" would shadow the installed module packaging (')
    assert d.message.endswith(
        '); if this plugin is that installed code, set plugin.distribution = "packaging"; else rename the package'
    )


def test_settings_schema_must_be_a_json_schema(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\n\n[settings-schema]\nproperties.level = { type = "int" }\n',
    )
    d = only(validate(["plugins"]), "invalid-schema")
    assert (d.path, d.line, d.column) == ("settings-schema.properties.level.type", 6, 22)
    assert d.message.startswith("settings-schema.properties.level.type: not a valid JSON Schema: 'int' is not valid")


def test_settings_schema_type_must_be_object(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[settings-schema]\ntype = "array"\n')
    check(
        validate(["plugins"]),
        "invalid-schema",
        path="settings-schema.type",
        line=6,
        column=1,
        message='settings-schema.type: settings are a table, so the type must be "object" (or left out), not "array"',
    )


def test_config_schema_must_be_a_json_schema(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\n[[extension-points]]\nid = "a.p"\n'
        "[extension-points.config-schema]\nrequired = 3\n",
    )
    d = only(validate(["plugins"]), "invalid-schema")
    assert (d.path, d.line) == ("extension-points[0].config-schema.required", 7)


def test_duplicate_point_in_one_manifest(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\n[[extension-points]]\nid = "a.p"\n[[extension-points]]\nid = "a.p"\n',
    )
    check(
        validate(["plugins"]),
        "duplicate-point",
        path="extension-points[1].id",
        line=7,
        column=1,
        message='extension-points[1].id: point "a.p" is already declared at extension-points[0]',
    )


def test_duplicate_extension_id(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\n[[extension-points]]\nid = "a.p"\n'
        '[[extensions]]\npoint = "a.p"\nid = "x"\n[[extensions]]\npoint = "a.p"\nid = "x"\n',
    )
    check(
        validate(["plugins"]),
        "duplicate-extension",
        path="extensions[1].id",
        line=11,
        column=1,
        message='extensions[1].id: this plugin already contributes an extension "x" to "a.p" (extensions[0])',
    )


def test_hook_options_on_a_plain_point_warn(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\n[[extension-points]]\nid = "a.p"\nfirstresult = true\n',
    )
    report = validate(["plugins"])
    d = only(report, "hook-option")
    assert (d.severity, d.path, d.line) == ("warning", "extension-points[0].firstresult", 6)
    assert d.message == (
        "extension-points[0].firstresult: only hook points take 'firstresult'; add hook = true or remove it"
    )
    assert report.ok
