"""The command line: output formats, exit codes, usage errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_shipped_manifests_and_examples_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(ROOT / "manifests"), str(ROOT / "examples" / "plugins"))
    assert code == 0
    assert "error" not in out
    assert err == "0 errors, 2 warnings; 8 valid manifests\n"


def test_minimal_manifest_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(ROOT / "manifests" / "minimal.toml"))
    assert (code, out) == (0, "")


def test_text_output_and_exit_1(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1.0-final-x"\n')
    code, out, err = run(capsys, "validate", "plugins")
    assert code == 1
    assert out == (
        'plugins/a/plugin.toml:3:1: error[version]: plugin.version: "1.0-final-x" is not a valid PEP 440 '
        'version (e.g. "1.2.0", "2.0rc1")\n'
    )
    assert err == "1 error, 0 warnings; 0 valid manifests\n"


def test_json_output_shape(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin("a", '[plugin]\nid = "acme.a"\nversion = "1"\n\n[[extensions]]\npoint = "x"\nconfig = 3\n')
    code, out, _ = run(capsys, "validate", "--format", "json", "plugins")
    assert code == 1
    assert json.loads(out) == {
        "ok": False,
        "diagnostics": [
            {
                "severity": "error",
                "code": "schema",
                "message": "extensions[0].config: expected a table, got an integer (3)",
                "file": "plugins/a/plugin.toml",
                "line": 7,
                "column": 1,
                "path": "extensions[0].config",
                "plugin": "acme.a",
            }
        ],
    }


def test_json_ok_with_warnings(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[[extensions]]\npoint = "host.menu"\n')
    code, out, _ = run(capsys, "validate", "--format", "json", "plugins")
    report = json.loads(out)
    assert code == 0
    assert report["ok"] is True
    assert [d["code"] for d in report["diagnostics"]] == ["unknown-point"]


def test_github_annotations(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\nverison = "2"\n')
    code, out, _ = run(capsys, "validate", "--format", "github", "plugins")
    assert code == 1
    assert out == (
        "::error file=plugins/a/plugin.toml,line=4,col=1,title=manifold unknown-key::"
        'plugin.verison: unknown key; did you mean "version"?\n'
    )


def test_quiet_prints_errors_only(write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n\n[[extensions]]\npoint = "host.menu"\n')
    assert run(capsys, "validate", "-q", "plugins") == (0, "", "")


def test_strict_makes_missing_dependencies_errors(
    write_plugin: WritePlugin, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plugin("a", '[plugin]\nid = "a"\nversion = "1"\n[dependencies]\nb = "*"\n')
    assert run(capsys, "validate", "plugins")[0] == 0
    code, out, _ = run(capsys, "validate", "--strict", "plugins")
    assert code == 1
    assert out.startswith("plugins/a/plugin.toml:5:1: error[missing-dependency]: ")


def test_missing_path_is_a_usage_error(plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", "nowhere") == (
        2,
        "",
        "manifold: error: nowhere: no such file or folder\n",
    )


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "--format", "xml", "x")
    assert code == 2
    assert "invalid choice: 'xml'" in err


def test_jobs_must_be_a_number_of_processes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "--jobs", "0", "x")
    assert code == 2
    assert "argument -j/--jobs: '0' is not a number of processes (1 or more)" in err


def test_jobs_reaches_validate(
    monkeypatch: pytest.MonkeyPatch, plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import manifold.validation

    seen: list[int | None] = []
    real = manifold.validation.validate

    def spy(*args: object, jobs: int | None = None, **kwargs: object) -> object:
        seen.append(jobs)
        return real(*args, jobs=jobs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(manifold.validation, "validate", spy)
    assert run(capsys, "validate", "-j", "3", "plugins")[0] == 0
    assert run(capsys, "validate", "plugins")[0] == 0
    assert seen == [3, None]


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "the following arguments are required: COMMAND" in err


def test_unexpected_error_is_reported_without_traceback(
    monkeypatch: pytest.MonkeyPatch, plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("manifold.validation.validate", boom)
    code, _, err = run(capsys, "validate", "plugins")
    assert code == 3
    assert err == (
        "manifold: internal error: RuntimeError: disk on fire\n"
        "This is a bug in manifold; run again with --debug for the traceback and report it.\n"
    )
    assert "Traceback" not in err
    code, _, err = run(capsys, "--debug", "validate", "plugins")
    assert code == 3
    assert "Traceback (most recent call last)" in err


def test_schema_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == (ROOT / "schemas" / "plugin.schema.json").read_text(encoding="utf-8")


def test_schema_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plugin.schema.json"
    code, _, err = run(capsys, "schema", "plugin", "-o", str(target))
    assert code == 0
    assert err == f"wrote {target}\n"
    assert json.loads(target.read_text())["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert [p.name for p in tmp_path.iterdir()] == ["plugin.schema.json"]


def test_schema_to_a_missing_folder_makes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no" / "such" / "s.json"
    code, _, err = run(capsys, "schema", "-o", str(target))
    assert (code, err) == (0, f"wrote {target}\n")
    assert json.loads(target.read_text())["$schema"] == "http://json-schema.org/draft-07/schema#"
    code, _, err = run(capsys, "schema", "-o", str(tmp_path / "no"))
    assert (code, err) == (2, f"manifold: error: {tmp_path / 'no'} is a folder; name the file to write\n")


def test_validate_strict_on_a_folder_without_manifests_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, out, _ = run(capsys, "validate", "--strict", str(tmp_path / "empty"))
    assert (code, out) == (
        1,
        f"{tmp_path / 'empty'}: error[no-manifests]: no plugin.toml in this folder or its sub-folders\n",
    )
    code, out, _ = run(capsys, "validate", str(tmp_path / "empty"))
    assert (code, out) == (
        0,
        f"{tmp_path / 'empty'}: warning[no-manifests]: no plugin.toml in this folder or its sub-folders\n",
    )


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "manifold", "validate", str(ROOT / "manifests" / "minimal.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # set but empty: not set (no-color.org)
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": ""}, False, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ],
)
def test_colour_follows_no_color_and_force_color(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], tty: bool, expected: bool
) -> None:
    from manifold.cli import _output

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(_output.sys.stdout, "isatty", lambda: tty)
    assert _output.colour_enabled() is expected


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from manifold import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"manifold {__version__}\n"


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["active"], "1 plugin: 1 active"),
        (["filtered", "active", "failed", "active"], "4 plugins: 1 filtered, 2 active, 1 failed"),
        ([], "0 plugins"),
    ],
)
def test_count_footer_counts_by_state_in_lifecycle_order(states: list[str], expected: str) -> None:
    from manifold.cli._output import count_footer

    assert count_footer(states) == expected
