"""What the package promises about itself: light import, shipped schemas, no plugin code imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import manifold
from manifold import validate
from manifold.manifest.schema import SCHEMA_NAMES, schema_text

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_schemas_are_identical_to_the_published_ones() -> None:
    for name in SCHEMA_NAMES:
        published = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        assert schema_text(name) == published


def test_schemas_are_draft_07_and_self_contained() -> None:
    from jsonschema import Draft7Validator

    for path in (ROOT / "schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft7Validator.check_schema(schema)
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert schema["$id"].startswith("https://")
        refs = [line for line in path.read_text().splitlines() if '"$ref"' in line]
        assert refs
        assert all('"#/definitions/' in line for line in refs)


def test_importing_manifold_imports_neither_jsonschema_nor_networkx() -> None:
    code = "import sys, manifold; print(sorted(m for m in ('jsonschema', 'networkx') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_public_names_are_declared_once_and_load_lazily() -> None:
    assert len(set(manifold.__all__)) == len(manifold.__all__)
    code = (
        "import sys, manifold, manifold.cli, manifold.validation\n"
        "print(sorted(m for m in sys.modules if m.startswith('manifold')))\n"
        "print(callable(manifold.validate), manifold.validate.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[1] == "True manifold.validation"
    for name in manifold.__all__:
        assert getattr(manifold, name) is not None
    assert set(manifold.__all__) <= set(dir(manifold))


def test_validation_imports_no_plugin_code() -> None:
    before = set(sys.modules)
    report = validate([ROOT / "examples" / "plugins", ROOT / "manifests"])
    assert report.ok
    new = set(sys.modules) - before
    plugin_packages = {p for m in report.manifests for p in m.packages}
    assert plugin_packages == {
        "notes_core",
        "notes_markdown",
        "notes_spellcheck",
        "notes_wordcount",
        "acme_kettle",
        "acme_timer",
        "acme_clock",
        "acme_scale",
    }
    assert not {m for m in new if m.partition(".")[0] in plugin_packages}
    assert all(
        m.partition(".")[0]
        in {
            "manifold",
            "jsonschema",
            "jsonschema_specifications",
            "referencing",
            "networkx",
            "rpds",
            "attr",
            "attrs",
            "fastjsonschema",
            "packaging",
            "typing_extensions",
        }
        or m in sys.stdlib_module_names
        or m.partition(".")[0] in sys.stdlib_module_names
        for m in new
    ), sorted(new)


def test_the_pre_commit_hook_sees_every_kind_of_manifest_in_one_run() -> None:
    import re

    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    files = re.search(r"^  files: (.+)$", text, re.MULTILINE)
    assert files is not None
    pattern = re.compile(files[1])
    matched = ["plugin.toml", "plugins/a/plugin.toml", "bundle.toml", "kit/bundle.toml", "dist/acme.kettle-1.0.mfz"]
    assert [name for name in matched if not pattern.search(name)] == []
    assert [name for name in ("pyproject.toml", "myplugin.toml", "a.zip.txt") if pattern.search(name)] == []
    assert re.search(r"^  require_serial: true$", text, re.MULTILINE)
    assert re.search(r"^  pass_filenames: true$", text, re.MULTILINE)


def test_the_project_ships_its_licence_and_says_where_it_lives() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert set(project["project"]["urls"]) == {"Homepage", "Repository", "Issues", "Changelog"}
    assert "*.mfz" in project["tool"]["hatch"]["build"]["targets"]["sdist"]["exclude"]
    assert "*.mfz" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog\n")


def test_validating_and_loading_need_no_fastjsonschema() -> None:
    """The compiled validators are shipped; fastjsonschema only generates them (a development tool)."""
    code = (
        "import sys\nfrom manifold import Manager, validate\n"
        "assert validate(['examples/plugins']).ok\nManager(['examples/plugins'], cache=False).start()\n"
        "print('fastjsonschema' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not [d for d in dependencies if d.startswith("fastjsonschema")]


# -- every supported Python: the classifiers and the interpreters .ci/run tests on --------------------------------

SUPPORTED = ["3.11", "3.12", "3.13"]
"""The Pythons the whole suite passes on: .ci/run runs it on each of them that the machine has."""


def test_the_classifiers_name_exactly_the_pythons_the_suite_passes_on() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: "
    versions = [c.removeprefix(prefix) for c in project["classifiers"] if c.startswith(prefix + "3.")]
    assert versions == SUPPORTED
    assert project["requires-python"] == f">={SUPPORTED[0]}"


def fake_python(folder: Path, name: str, implementation: str, version: str, *, status: int = 0) -> Path:
    """``folder/name``, an executable answering as a Python asked for its implementation, version and real
    executable would (that real executable being itself), then exiting with ``status``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{implementation} {version} {script}'\nexit {status}\n", encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.mark.skipif(sys.platform != "linux", reason="CI runs on Linux")
def test_ci_finds_each_cpython_from_3_11_once_in_search_order(tmp_path: Path) -> None:
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    other, absent = (v for v in SUPPORTED if v != running)
    first.mkdir()
    (first / f"python{running}").symlink_to(sys.executable)  # a real one, reached through a link
    fake_python(first, f"python{other}", "", "", status=127)  # a shim whose version is not installed
    chosen = fake_python(second, f"python{other}", "cpython", other)
    fake_python(third, f"python{other}", "cpython", other)  # the same version again: the first one wins
    fake_python(second, "python3.10", "cpython", "3.10")  # older than 3.11
    fake_python(second, "python3.99", "pypy", "3.99")  # not CPython
    fake_python(second, f"python{absent}-config", "cpython", absent)  # not an interpreter
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "pythons")],
        env={"PATH": "/usr/bin:/bin", "CI_PYTHON_DIRS": f"{tmp_path / 'missing'}:{first}:{second}:{third}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    expected = {running: str(Path(sys.executable).resolve()), other: str(chosen)}
    assert done.stdout == "".join(f"{v}\t{expected[v]}\n" for v in sorted(expected, key=lambda v: int(v[2:])))
    assert done.stderr == f"skipped: Python {absent} (no CPython {absent} on this machine)\n"


def test_each_schema_id_names_the_format_version_it_describes() -> None:
    """A manifest format version gets its own schema URL: a later format cannot change what v1 means to an editor."""
    from manifold.manifest.model import MANIFEST_VERSIONS

    version = max(MANIFEST_VERSIONS)
    for path in sorted((ROOT / "schemas").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$id"] == f"https://manifold-plugins.dev/schemas/v{version}/{path.name}"


# -- the development tools: dependency groups, and the README's test command is what CI runs ------------------------


def test_the_development_tools_are_dependency_groups_not_extras() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert sorted(project["project"]["optional-dependencies"]) == ["examples", "pluggy"]
    groups = project["dependency-groups"]
    assert sorted(groups) == ["dev", "docs", "test"]
    assert groups["dev"] == [{"include-group": "test"}, {"include-group": "docs"}]
    assert any(r.startswith("pytest") for r in groups["test"])
    assert sorted(r.split(">")[0] for r in groups["docs"]) == ["mkdocs", "mkdocs-material"]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if "python -m pytest" in line and "--group test" in line]
    assert len(commands) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[0] in ci.splitlines()
    assert "[test]" not in ci
