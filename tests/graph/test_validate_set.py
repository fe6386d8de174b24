"""Diagnostics that need several manifests: ids, packages, dependencies, cycles, points, configs, code."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import WritePlugin
from tests.manifest.test_validate_file import check, only

from manifold import validate


def simple(write_plugin: WritePlugin, name: str, extra: str = "", *, version: str = "1.0") -> Path:
    return write_plugin(name, f'[plugin]\nid = "{name}"\nversion = "{version}"\n{extra}')


def test_duplicate_id(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a")
    write_plugin("b", '[plugin]\nid = "a"\nversion = "2"\n')
    report = validate(["plugins"])
    check(
        report,
        "duplicate-id",
        path="plugin.id",
        line=2,
        column=1,
        message='plugin.id: "a" is already the id of plugins/a/plugin.toml; plugin ids must be unique',
    )
    assert only(report, "duplicate-id").file == "plugins/b/plugin.toml"
    assert [m.file for m in report.manifests] == ["plugins/a/plugin.toml"]


def test_a_duplicate_does_not_make_the_first_plugin_invalid(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a")
    write_plugin("b", '[plugin]\nid = "a"\nversion = "x"\n')
    simple(write_plugin, "c", '[dependencies]\na = "*"\n')
    report = validate(["plugins"])
    assert report.codes() == ["duplicate-id", "version"]
    assert [m.id for m in report.manifests] == ["a", "c"]


def test_duplicate_point_across_plugins(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[[extension-points]]\nid = "shared.p"\n')
    simple(
        write_plugin,
        "b",
        '[[extension-points]]\nid = "x.q"\n[[extension-points]]\nid = "shared.p"\n',
    )
    report = validate(["plugins"])
    check(
        report,
        "duplicate-point",
        path="extension-points[1].id",
        line=7,
        column=1,
        message="extension-points[1].id: b declares point shared.p, which a (plugins/a/plugin.toml) already declares",
    )


def test_package_conflict(write_plugin: WritePlugin) -> None:
    files = {"acme_shared/__init__.py": ""}
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_shared"]\n', files)
    write_plugin(
        "b",
        '[plugin]\nid = "b"\nversion = "1"\npackages = ["acme_b", "acme_shared"]\n',
        {**files, "acme_b.py": ""},
    )
    report = validate(["plugins"])
    check(
        report,
        "package-conflict",
        path="plugin.packages[1]",
        line=4,
        column=23,
        message="plugin.packages[1]: b ships package acme_shared, which a (plugins/a/plugin.toml) already ships",
    )
    assert only(report, "package-conflict").file == "plugins/b/plugin.toml"


def test_missing_dependency_is_a_warning_unless_strict(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[dependencies]\n"acme.base" = ">=2"\n')
    report = validate(["plugins"])
    check(
        report,
        "missing-dependency",
        path='dependencies."acme.base"',
        line=5,
        column=1,
        message='dependencies."acme.base": a needs acme.base >=2, but no manifest found has the id acme.base',
    )
    assert only(report, "missing-dependency").severity == "warning"
    assert report.ok
    strict = validate(["plugins"], strict=True)
    assert only(strict, "missing-dependency").severity == "error"
    assert not strict.ok


def test_missing_optional_dependency_is_fine(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[optional-dependencies]\n"acme.base" = ">=2"\n')
    assert validate(["plugins"], strict=True).diagnostics == ()


def test_version_conflict(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "base", version="1.4")
    simple(write_plugin, "a", '[dependencies]\nbase = ">=2,<3"\n')
    check(
        validate(["plugins"]),
        "version-conflict",
        path="dependencies.base",
        line=5,
        column=1,
        message="dependencies.base: a needs base <3,>=2, but base is version 1.4 (plugins/base/plugin.toml)",
    )


def test_prerelease_satisfies_a_range(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "base", version="2.1rc1")
    simple(write_plugin, "a", '[dependencies]\nbase = ">=2"\n')
    assert validate(["plugins"]).diagnostics == ()


def test_optional_version_conflict_is_a_warning(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "base", version="1.4")
    simple(write_plugin, "a", '[optional-dependencies]\nbase = ">=2"\n')
    d = only(validate(["plugins"]), "version-conflict")
    assert (d.severity, d.path) == ("warning", "optional-dependencies.base")


def test_cycle_names_the_whole_cycle(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[dependencies]\nb = "*"\n')
    simple(write_plugin, "b", '[dependencies]\nc = "*"\n')
    simple(write_plugin, "c", '[optional-dependencies]\na = "*"\n')
    simple(write_plugin, "d", '[dependencies]\na = "*"\n')
    report = validate(["plugins"])
    cycles = [(d.file, d.path, d.line, d.message) for d in report.diagnostics if d.code == "cycle"]
    assert cycles == [
        (
            "plugins/a/plugin.toml",
            "dependencies.b",
            5,
            "dependencies.b: dependency cycle a -> b -> c -> a",
        ),
        (
            "plugins/b/plugin.toml",
            "dependencies.c",
            5,
            "dependencies.c: dependency cycle a -> b -> c -> a",
        ),
        (
            "plugins/c/plugin.toml",
            "optional-dependencies.a",
            5,
            "optional-dependencies.a: dependency cycle a -> b -> c -> a",
        ),
    ]
    d = only(report, "dependency-invalid")
    assert (d.file, d.path) == ("plugins/d/plugin.toml", "dependencies.a")
    assert d.message == "dependencies.a: d is unavailable because a is unavailable: dependency cycle a -> b -> c -> a"
    assert report.manifests == ()


def test_self_dependency_is_a_cycle(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[dependencies]\na = "*"\n')
    d = only(validate(["plugins"]), "cycle")
    assert d.message == "dependencies.a: dependency cycle a -> a"


def test_dependency_invalid_names_the_chain(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "x.y"\n')
    simple(write_plugin, "b", '[dependencies]\na = "*"\n')
    simple(write_plugin, "c", '[dependencies]\nb = "*"\n')
    report = validate(["plugins"])
    chain = [(d.file, d.line, d.message) for d in report.diagnostics if d.code == "dependency-invalid"]
    a_reason = (
        'plugins/a/plugin.toml:3:1: error[version]: plugin.version: "x.y" is not a valid PEP 440 version '
        '(e.g. "1.2.0", "2.0rc1")'
    )
    assert chain == [
        ("plugins/b/plugin.toml", 5, f"dependencies.a: b is unavailable because a is unavailable: {a_reason}"),
        (
            "plugins/c/plugin.toml",
            5,
            f"dependencies.b: c is unavailable because b is unavailable because a is unavailable: {a_reason}",
        ),
    ]


def test_unknown_point_is_a_warning(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a", '[[extensions]]\npoint = "host.menu"\n')
    report = validate(["plugins"])
    check(
        report,
        "unknown-point",
        path="extensions[0].point",
        line=5,
        column=1,
        message='extensions[0].point: no manifest declares the point "host.menu" (fine if the host adds it in code)',
    )
    assert report.ok


CORE = """
[[extension-points]]
id = "core.formatters"
cardinality = "one"

[extension-points.config-schema]
type = "object"
required = ["suffix"]
properties.suffix = { type = "string", pattern = "^\\\\." }
properties.indent = { type = "integer", default = 2 }
"""


def test_config_is_checked_against_the_point_schema(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "core", CORE)
    simple(
        write_plugin,
        "ext",
        '[[extensions]]\npoint = "core.formatters"\n\n[extensions.config]\nsuffix = ".md"\nindent = "four"\n',
    )
    check(
        validate(["plugins"]),
        "config",
        path="extensions[0].config.indent",
        line=9,
        column=1,
        message='extensions[0].config.indent: expected an integer, got a string ("four")',
    )


def test_config_missing_required_key(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "core", CORE)
    simple(write_plugin, "ext", '[[extensions]]\npoint = "core.formatters"\n')
    check(
        validate(["plugins"]),
        "config",
        path="extensions[0].config.suffix",
        line=4,
        column=1,
        message="extensions[0].config.suffix: required key is missing",
    )


def test_second_extension_to_a_cardinality_one_point_warns(write_plugin: WritePlugin) -> None:
    simple(
        write_plugin,
        "core",
        CORE + '\n[[extensions]]\npoint = "core.formatters"\nconfig.suffix = ".a"\n',
    )
    simple(write_plugin, "ext", '[[extensions]]\npoint = "core.formatters"\nconfig.suffix = ".b"\n')
    report = validate(["plugins"])
    check(
        report,
        "cardinality",
        path="extensions[0].point",
        line=5,
        column=1,
        message='extensions[0].point: point "core.formatters" takes one extension and core already '
        "contributes one (extensions[0] of plugins/core/plugin.toml); the host will use only one",
    )
    assert only(report, "cardinality").file == "plugins/ext/plugin.toml"
    assert report.ok


CODE_PLUGIN = '[plugin]\nid = "b"\nversion = "1"\npackages = ["acme_b"]\n'


def test_missing_object(write_plugin: WritePlugin) -> None:
    write_plugin(
        "b",
        CODE_PLUGIN + 'class = "acme_b.core:Plugin"\n',
        {"acme_b/__init__.py": "", "acme_b/core.py": "class Plugn:\n    pass\n"},
    )
    check(
        validate(["plugins"]),
        "missing-object",
        path="plugin.class",
        line=5,
        column=1,
        message="plugin.class: Plugin is not defined at the top level of acme_b.core (plugins/b/acme_b/core.py)",
    )


def test_missing_nested_object(write_plugin: WritePlugin) -> None:
    write_plugin(
        "b",
        CODE_PLUGIN + '[[extensions]]\npoint = "p"\nref = "acme_b:Outer.Inner"\n',
        {"acme_b/__init__.py": "class Outer:\n    class Other: ...\n"},
    )
    d = only(validate(["plugins"]), "missing-object")
    assert (d.path, d.line) == ("extensions[0].ref", 7)
    assert d.message == (
        "extensions[0].ref: Inner is not defined in class Outer of acme_b (plugins/b/acme_b/__init__.py)"
    )


def test_names_bound_in_many_ways_are_found(write_plugin: WritePlugin) -> None:
    code = (
        "import os\nfrom json import loads as parse\nCONST: int = 1\nx, (y, z) = 1, (2, 3)\n"
        "try:\n    import tomllib as toml\nexcept ImportError:\n    toml = None\n"
        "if True:\n    def f(): ...\nasync def g(): ...\nclass A:\n    class B:\n        def m(self): ...\n"
    )
    refs = ["os", "parse", "CONST", "z", "toml", "f", "g", "A.B.m"]
    extensions = "".join(f'[[extensions]]\npoint = "p"\nref = "acme_b:{r}"\n' for r in refs)
    write_plugin("b", CODE_PLUGIN + extensions, {"acme_b/__init__.py": code})
    assert "missing-object" not in validate(["plugins"]).codes()


def test_star_import_or_module_getattr_cannot_be_judged(write_plugin: WritePlugin) -> None:
    write_plugin(
        "b",
        CODE_PLUGIN + '[[extensions]]\npoint = "p"\nref = "acme_b:Anything"\n'
        '[[extensions]]\npoint = "p"\nref = "acme_b.lazy:Whatever"\n',
        {
            "acme_b/__init__.py": "from os.path import *\n",
            "acme_b/lazy.py": "def __getattr__(name): ...\n",
        },
    )
    assert "missing-object" not in validate(["plugins"]).codes()


def test_python_syntax_error(write_plugin: WritePlugin) -> None:
    write_plugin("b", CODE_PLUGIN, {"acme_b/__init__.py": "", "acme_b/broken.py": "def f(:\n"})
    report = validate(["plugins"])
    d = only(report, "python-syntax")
    assert (d.file, d.line, d.column, d.plugin) == ("plugins/b/acme_b/broken.py", 1, 7, "b")
    assert d.message == "invalid Python: invalid syntax"
    assert report.manifests == ()


def test_undeclared_import(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_a"]\n',
        {"acme_a/__init__.py": ""},
    )
    write_plugin(
        "b",
        CODE_PLUGIN,
        {
            "acme_b/__init__.py": "",
            "acme_b/sub/mod.py": "import os\n\nfrom acme_a.api import thing\n",
        },
    )
    report = validate(["plugins"])
    d = only(report, "undeclared-import")
    assert (d.severity, d.file, d.line, d.column, d.path, d.plugin) == (
        "warning",
        "plugins/b/acme_b/sub/mod.py",
        3,
        1,
        None,
        "b",
    )
    assert d.message == (
        'imports acme_a.api from plugin a, which b does not declare as a dependency; add "a" to '
        "[dependencies] (or [optional-dependencies])"
    )


def test_undeclared_imports_nested_in_functions_classes_and_handlers(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_a"]\n', {"acme_a/__init__.py": ""})
    code = (
        "class C:\n    def m(self):\n        import acme_a.x\n"
        "try:\n    pass\nexcept ImportError:\n    from acme_a import y\n"
        "if True:\n    pass\nelse:\n    import acme_a\n"
        "f = lambda: __import__('acme_a')\n"
    )
    write_plugin("b", CODE_PLUGIN, {"acme_b/__init__.py": code})
    found = [(d.line, d.message.split(" from ")[0]) for d in validate(["plugins"]).diagnostics]
    assert found == [(3, "imports acme_a.x"), (7, "imports acme_a"), (11, "imports acme_a")]


def test_declared_import_is_fine(write_plugin: WritePlugin) -> None:
    write_plugin(
        "a",
        '[plugin]\nid = "a"\nversion = "1"\npackages = ["acme_a"]\n',
        {"acme_a/__init__.py": ""},
    )
    write_plugin("b", CODE_PLUGIN + '[dependencies]\na = "*"\n', {"acme_b/__init__.py": "import acme_a\n"})
    assert validate(["plugins"]).diagnostics == ()


def test_no_code_skips_the_scan(write_plugin: WritePlugin) -> None:
    write_plugin("b", CODE_PLUGIN, {"acme_b/__init__.py": "def f(:\n"})
    assert validate(["plugins"], check_code=False).diagnostics == ()


def test_empty_folder_warns(plugins: Path) -> None:
    report = validate(["plugins"])
    check(
        report,
        "no-manifests",
        path=None,
        line=None,
        column=None,
        message="no plugin.toml in this folder or its sub-folders",
    )
    assert report.ok


def test_same_manifest_given_twice_is_read_once(write_plugin: WritePlugin) -> None:
    simple(write_plugin, "a")
    report = validate(["plugins", "plugins/a", "plugins/a/plugin.toml"])
    assert report.diagnostics == ()
    assert len(report.manifests) == 1


def test_a_plugin_reached_through_a_link_is_read_once(write_plugin: WritePlugin, plugins: Path) -> None:
    simple(write_plugin, "a")
    (plugins.parent / "elsewhere").mkdir()
    (plugins.parent / "elsewhere" / "a").symlink_to(plugins / "a", target_is_directory=True)
    report = validate(["plugins", "elsewhere"])
    assert report.diagnostics == ()
    assert [m.file for m in report.manifests] == ["plugins/a/plugin.toml"]


def test_diagnostics_are_in_file_then_line_order(write_plugin: WritePlugin) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\ncolour = 1\nshape = 2\n')
    write_plugin("b", '[plugin]\nid = "a"\nversion = "bad"\n')
    report = validate(["plugins"])
    assert [(d.file, d.line, d.code) for d in report.diagnostics] == [
        ("plugins/a/plugin.toml", 4, "unknown-key"),
        ("plugins/a/plugin.toml", 5, "unknown-key"),
        ("plugins/b/plugin.toml", 2, "duplicate-id"),
        ("plugins/b/plugin.toml", 3, "version"),
    ]
