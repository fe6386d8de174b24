"""The composed schema: editors check contributions to an installation's points as authors type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from manifold.cli import main

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONTRIBUTION = """\
#:schema ../composed.json

[plugin]
id = "me.pdf"
version = "1.0"

[[extensions]]
point = "notes.formatters"
config = {{ suffix = {suffix}, label = "PDF" }}
"""


@pytest.fixture
def composed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    target = tmp_path / "composed.json"
    assert main(["schema", "--composed", "--path", str(ROOT / "examples" / "plugins"), "-o", str(target)]) == 0
    capsys.readouterr()
    return target


def lint(tool: str, manifest: Path) -> subprocess.CompletedProcess[str]:
    argv = [str(BIN / tool), "lint", *(["--offline"] if tool == "tombi" else ["--colors", "never"]), str(manifest)]
    env = {**os.environ, "NO_COLOR": "1", "TOMBI_OFFLINE": "1"}
    return subprocess.run(argv, capture_output=True, text=True, cwd=manifest.parent, env=env, check=False)


def test_composed_schema_carries_each_points_config_schema(composed: Path) -> None:
    schema = json.loads(composed.read_text())
    extension = schema["definitions"]["extension"]
    (rule,) = extension["allOf"]
    assert rule["if"] == {"properties": {"point": {"const": "notes.formatters"}}, "required": ["point"]}
    assert rule["then"]["properties"]["config"]["required"] == ["suffix"]
    assert schema["definitions"]["pointRef"]["examples"] == ["notes.formatters", "notes.on-save"]
    from jsonschema import Draft7Validator

    Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("tool", ["taplo", "tombi"])
def test_editors_flag_a_bad_config_at_its_line(composed: Path, tool: str) -> None:
    plugin = composed.parent / "mine"
    plugin.mkdir()
    (plugin / "plugin.toml").write_text(CONTRIBUTION.format(suffix="3"))
    bad = lint(tool, plugin / "plugin.toml")
    assert bad.returncode != 0
    assert "plugin.toml:9:21" in bad.stdout + bad.stderr
    (plugin / "plugin.toml").write_text(CONTRIBUTION.format(suffix='".pdf"'))
    good = lint(tool, plugin / "plugin.toml")
    assert good.returncode == 0, good.stdout + good.stderr


def test_composed_needs_the_plugin_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["schema", "config", "--composed", "--path", str(ROOT / "examples" / "plugins")])
    assert code == 2
    assert capsys.readouterr().err == (
        "manifold: error: --composed specialises the plugin schema; leave out the schema name\n"
    )
