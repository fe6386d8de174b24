"""The host commands (list, graph, inspect, doctor, new, schema config), through main() and the real script."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from manifold.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = str(ROOT / "examples" / "plugins")
SCRIPT = shutil.which("manifold", path=os.path.dirname(sys.executable)) or "manifold"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def script(*argv: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, *argv], capture_output=True, text=True, cwd=cwd, env={**os.environ, "NO_COLOR": "1", **(env or {})}
    )


def test_list_text_through_the_console_script() -> None:
    done = script("list", "--path", EXAMPLES)
    assert (done.returncode, done.stderr) == (0, "4 plugins: 4 resolved\n")  # the count on stderr
    assert done.stdout.splitlines() == [
        "ID                VERSION  STATE     REASON  SOURCE",
        "----------------  -------  --------  ------  " + "-" * len(EXAMPLES),
        f"notes.core        1.2.0    resolved          {EXAMPLES}",
        f"notes.markdown    0.4.1    resolved          {EXAMPLES}",
        f"notes.spellcheck  2.0.0    resolved          {EXAMPLES}",
        f"notes.wordcount   1.0.0    resolved          {EXAMPLES}",
    ]


def test_list_all_json_includes_filtered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text(f'sources = ["{EXAMPLES}"]\ndisabled = ["notes.wordcount"]\n')
    code, out, _ = run(capsys, "list", "--config", str(tmp_path / "manifold.toml"), "--format", "json")
    assert code == 0
    assert [p["id"] for p in json.loads(out)["plugins"]] == ["notes.core", "notes.markdown", "notes.spellcheck"]
    code, out, _ = run(capsys, "list", "--config", str(tmp_path / "manifold.toml"), "--format", "json", "--all")
    data = json.loads(out)
    wordcount = data["plugins"][-1]
    assert (wordcount["id"], wordcount["state"], wordcount["reason"]) == (
        "notes.wordcount",
        "filtered",
        {"code": "disabled", "message": "notes.wordcount is in the disabled list"},
    )
    assert data["order"] == ["notes.core", "notes.markdown", "notes.spellcheck"]


def test_list_without_sources_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    os.chdir(tmp_path)
    try:
        code, _, err = run(capsys, "list")
    finally:
        os.chdir(ROOT)
    assert code == 2
    assert err == "manifold: error: no plugin sources: pass --path, or --config with a file that lists sources\n"


def test_bad_environment_is_a_clear_error_through_the_script() -> None:
    done = script("list", "--path", EXAMPLES, env={"MANIFOLD_TIMEOUT": "abc"})
    assert done.returncode == 1
    assert done.stderr == (
        "manifold: error: MANIFOLD_TIMEOUT='abc' is not a number of seconds; use e.g. 20, 2.5, or 0 for no limit\n"
    )


def test_graph_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", "--path", EXAMPLES, "--order")
    assert (code, out) == (0, "notes.core\nnotes.markdown\nnotes.spellcheck\nnotes.wordcount\n")
    code, out, _ = run(capsys, "graph", "--path", EXAMPLES, "--format", "mermaid")
    assert out.splitlines()[0] == "flowchart LR"
    assert "  n2 -.-> n3" in out.splitlines()
    code, out, _ = run(capsys, "graph", "--path", EXAMPLES)
    assert '  "notes.spellcheck" -> "notes.wordcount" [style=dashed];' in out.splitlines()
    code, out, _ = run(capsys, "graph", "--path", EXAMPLES, "--format", "json")
    graph = json.loads(out)
    assert graph["edges"][0] == {"from": "notes.core", "to": "notes.markdown", "optional": False}
    assert {"from": "notes.spellcheck", "to": "notes.wordcount", "optional": True} in graph["edges"]


def test_graph_marks_unavailable_plugins(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANIFOLD_DENY", "notes.core")
    code, out, _ = run(capsys, "graph", "--path", EXAMPLES, "--format", "dot")
    assert code == 0
    assert '  "notes.core" [label="notes.core 1.2.0\\ndenied", fillcolor="#f8dddd"];' in out.splitlines()
    assert '  "notes.markdown" [label="notes.markdown 0.4.1\\ndependency-unavailable", fillcolor="#f8dddd"];' in (
        out.splitlines()
    )


@pytest.mark.parametrize("command", [["inspect", "notes.spellcheck"], ["list"], ["graph"], ["schema", "--composed"]])
def test_a_command_run_in_process_leaves_no_manager_behind(
    command: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A manager left open keeps masking its secrets in every manifold log record of the process (the
    # traceback only as text) and its importer on sys.meta_path, until the collector happens to free it.
    (tmp_path / "manifold.toml").write_text(
        f'sources = ["{EXAMPLES}"]\n[settings."notes.spellcheck"]\nwords = ["x"]\napi-token = "abcdef"\n'
    )
    finders = list(sys.meta_path)
    code, _, _ = run(capsys, *command, "--config", str(tmp_path / "manifold.toml"))
    assert code == 0
    assert sys.meta_path == finders
    try:
        raise ValueError("abcdef")
    except ValueError:
        logging.getLogger("manifold.test").exception("after the command")
    assert caplog.records[-1].exc_info is not None


def test_inspect_text_and_json_with_redaction(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "manifold.toml").write_text(
        f'sources = ["{EXAMPLES}"]\n[settings."notes.spellcheck"]\nwords = ["x"]\napi-token = "abcdef"\n'
    )
    code, out, _ = run(capsys, "inspect", "notes.spellcheck", "--config", str(tmp_path / "manifold.toml"))
    assert code == 0
    assert out.splitlines() == [
        "notes.spellcheck 2.0.0",
        "  state:        resolved",
        f"  source:       {EXAMPLES}",
        f"  manifest:     {EXAMPLES}/spellcheck/plugin.toml",
        "  depends on:   notes.core",
        "  needed by:    notes.wordcount",
        "  contributes:  notes.on-save <- notes_spellcheck.hooks:check_spelling priority=0",
        '  settings:     {"words": ["x"], "api-token": "••••••"}',
    ]
    assert "abcdef" not in out
    code, out, _ = run(capsys, "inspect", "notes.core", "--path", EXAMPLES, "--format", "json")
    data = json.loads(out)
    assert data["dependents"] == ["notes.markdown", "notes.spellcheck", "notes.wordcount"]
    assert [p["id"] for p in data["points"]] == ["notes.formatters", "notes.on-save"]
    assert data["manifest"]["plugin"]["activation"] == "eager"
    code, _, err = run(capsys, "inspect", "nope", "--path", EXAMPLES)
    assert (code, err) == (2, f"manifold: error: no plugin 'nope' in {EXAMPLES}\n")


def main_in(folder: Path, argv: list[str]) -> int:
    """``manifold ARGV`` run in ``folder``, as a user types it there."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        return main(argv)
    finally:
        os.chdir(here)


def write_plugin(root: Path, plugin_id: str, code: str, **extra: str) -> None:
    package = plugin_id.replace(".", "_")
    folder = root / plugin_id
    (folder / package).mkdir(parents=True)
    lines = [f'[plugin]\nid = "{plugin_id}"\nversion = "1.0"\npackages = ["{package}"]\nclass = "{package}:Plugin"\n']
    lines += [f"{k} = {v}\n" for k, v in extra.items()]
    (folder / "plugin.toml").write_text("".join(lines))
    (folder / package / "__init__.py").write_text(code)


def test_doctor_survives_a_plugin_that_kills_the_interpreter(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "fine", "class Plugin:\n    def activate(self):\n        pass\n")
    write_plugin(plugins, "killer", "import os\nclass Plugin:\n    def activate(self):\n        os._exit(7)\n")
    write_plugin(plugins, "raiser", "raise RuntimeError('no config file')\n")
    (tmp_path / "manifold.toml").write_text('sources = ["plugins"]\nrequired = ["fine", "killer"]\n')
    done = script("doctor", "--activate", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    states = {p["id"]: (p["state"], p["reason"]["code"] if p["reason"] else None) for p in result["plugins"]}
    assert states["killer"] == ("failed", "failed")
    assert result["child"]["exit"] == 7
    killer = next(p for p in result["plugins"] if p["id"] == "killer")
    assert killer["reason"]["message"] == "killer ended the process (exit code 7) while it was activated"
    # the child died: what it had activated died with it, so the report is discovery's, plus the culprit
    assert result["required"] == {"fine": "resolved", "killer": "failed"}
    assert result["ok"] is False


def test_doctor_text_reports_phases_times_and_advice(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "fine", "class Plugin:\n    def activate(self):\n        pass\n")
    write_plugin(plugins, "raiser", "raise RuntimeError('no config file')\n")
    write_plugin(plugins, "old", "class Plugin: ...\n", **{"requires-api": '"<1"'})
    (tmp_path / "manifold.toml").write_text(
        'sources = ["plugins"]\napi-version = "2.0"\nrequired = ["fine"]\n[settings.fine]\npassword = "x"\n'
    )
    done = script("doctor", "--activate", cwd=tmp_path, env={"MANIFOLD_DENY": "nobody", "MANIFOLD_SECRET_KEY": "zz"})
    assert done.returncode == 1, done.stdout + done.stderr  # a plugin failed
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["", "failed: raiser"]
    assert lines[0] == f"sources: {tmp_path / 'plugins'}"
    assert lines[1].startswith("phases:  discover ")
    assert lines[2] == "environment: MANIFOLD_DENY=nobody, MANIFOLD_SECRET_KEY=••••••"
    table = {line.split()[0]: line for line in lines[3:8]}
    assert table["fine"].split()[1] == "active"
    state, seconds, unit = table["raiser"].split()[1:4]
    assert (state, unit) == ("failed", "ms")
    assert float(seconds) >= 0
    assert "failed: raiser failed in import: RuntimeError: no config file" in table["raiser"]
    assert "incompatible-api: old requires plugin API <1, but this host provides 2.0" in table["old"]
    assert "what to do:" in lines
    assert (
        "  raiser: read the traceback (manifold doctor --activate --format json shows it) and fix the plugin's code"
        in lines
    )


def test_doctor_without_activation_checks_required_are_resolved(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "manifold.toml").write_text(f'sources = ["{EXAMPLES}"]\nrequired = ["notes.core", "ghost"]\n')
    code, out, _ = run(capsys, "doctor", "--config", str(tmp_path / "manifold.toml"), "--format", "json")
    result = json.loads(out)
    assert code == 1
    assert result["required"] == {"notes.core": "resolved", "ghost": "filtered"}
    ghost = next(p for p in result["plugins"] if p["id"] == "ghost")
    assert ghost["reason"] == {"code": "not-found", "message": "ghost is in no source"}
    assert ghost["advice"] == "install the plugin into one of the sources, or drop it from enabled/required"


def test_doctor_prints_diagnostics_as_validate_does(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "fine", "class Plugin: ...\n")
    (tmp_path / "plugins" / "fine" / "plugin.toml").write_text('[plugin]\nid = "fine"\nversion = "x.y"\n')
    (tmp_path / "plugins" / "broken.mfz").write_bytes(b"not a zip")
    code, out, _ = run(capsys, "doctor", "--path", str(tmp_path / "plugins"))
    assert code == 0
    assert out.splitlines()[-2:] == [
        f"{tmp_path}/plugins/broken.mfz: error[bad-archive]: not a zip archive (File is not a zip file)",
        f'{tmp_path}/plugins/fine/plugin.toml:3:1: error[version]: plugin.version: "x.y" is not a valid PEP 440 '
        'version (e.g. "1.2.0", "2.0rc1")',
    ]


def test_new_scaffolds_a_plugin_that_validates_lists_and_passes_its_test(tmp_path: Path) -> None:
    done = script("new", "acme.timer", "plugins/timer", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "plugins" / "timer"
    assert done.stdout.splitlines()[0] == str(Path("plugins/timer/plugin.toml"))
    manifest = (folder / "plugin.toml").read_text()
    assert manifest.startswith("#:schema .plugin.schema.json\n# The manifest of a manifold plugin: ")
    assert (folder / ".plugin.schema.json").read_text() == (ROOT / "schemas" / "plugin.schema.json").read_text()
    validated = script("validate", "plugins/timer", cwd=tmp_path)
    assert (validated.returncode, validated.stdout) == (0, "")
    listed = script("list", "--path", "plugins", cwd=tmp_path)
    assert "acme.timer" in listed.stdout
    pytest_script = str(Path(sys.executable).parent / "pytest")
    for runner, where in (
        ([sys.executable, "-m", "pytest"], tmp_path),  # from the project
        ([sys.executable, "-m", "pytest"], folder),  # from the plugin's folder: on sys.path, not shadowing
        ([pytest_script], folder),
    ):
        tested = subprocess.run(
            [*runner, "-q", "-p", "no:cacheprovider", str(folder / "tests")], capture_output=True, text=True, cwd=where
        )
        assert tested.returncode == 0, tested.stdout + tested.stderr
    bin_dir = Path(sys.executable).parent
    offline = {**os.environ, "TOMBI_OFFLINE": "1", "NO_COLOR": "1"}
    for linter in (
        [str(bin_dir / "taplo"), "lint", "plugin.toml"],
        [str(bin_dir / "tombi"), "lint", "--offline", "plugin.toml"],
    ):
        linted = subprocess.run(linter, capture_output=True, text=True, cwd=folder, env=offline)
        assert linted.returncode == 0, linted.stdout + linted.stderr
    again = script("new", "acme.timer", "plugins/timer", cwd=tmp_path)
    assert (again.returncode, again.stderr) == (
        2,
        "manifold: error: plugins/timer already exists; choose a new folder\n",
    )
    bad = script("new", "Acme", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("manifold: error: 'Acme' is not a plugin id")
    shadowing = script("new", "json", cwd=tmp_path)
    assert (shadowing.returncode, shadowing.stderr) == (
        2,
        "manifold: error: 'json' would name its package json, which would shadow the standard-library module json; "
        "choose an id that starts with your organisation's name, such as acme.kettle\n",
    )


def test_schema_config(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "config")
    assert code == 0
    assert out == (ROOT / "schemas" / "config.schema.json").read_text()


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("validate", "list", "graph", "inspect", "doctor", "new", "schema"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0
        assert "example: manifold " + command in out, command


@pytest.mark.parametrize(
    ("argv", "first"),
    [
        (["graph", "--path", EXAMPLES, "--format", "json"], "{"),
        (["graph", "--path", EXAMPLES, "--order"], "notes.core"),
        (["inspect", "notes.core", "--path", EXAMPLES], "notes.core 1.2.0"),
        (["inspect", "notes.core", "--path", EXAMPLES, "--format", "json"], "{"),
        (["list", "--path", EXAMPLES, "--format", "json"], "{"),
        (["doctor", "--path", EXAMPLES], f"sources: {EXAMPLES}"),
        (["schema", "config"], "{"),
        (["validate", "--format", "json", EXAMPLES], "{"),
    ],
)
def test_each_command_through_the_console_script(argv: list[str], first: str) -> None:
    done = script(*argv)
    footer = "4 plugins: 4 resolved\n" if argv[0] == "doctor" else ""  # a text table's count, on stderr
    assert (done.returncode, done.stderr) == (0, footer)
    assert done.stdout.splitlines()[0] == first


def test_pack_and_verify_through_the_console_script(tmp_path: Path) -> None:
    archive = tmp_path / "core.mfz"
    packed = script("pack", str(ROOT / "examples" / "plugins" / "core"), "-o", str(archive), "--format", "json")
    assert (packed.returncode, packed.stderr) == (0, ""), packed.stdout
    assert json.loads(packed.stdout)["ok"] is True
    verified = script("verify", str(archive))
    assert (verified.returncode, verified.stderr) == (0, "")
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0xFF
    archive.write_bytes(bytes(data))
    broken = script("verify", str(archive), "--format", "json")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["ok"] is False


@pytest.mark.parametrize("command", ["list", "graph", "inspect", "doctor"])
def test_host_commands_take_paths_as_arguments_like_validate(tmp_path: Path, command: str) -> None:
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "fine", "class Plugin:\n    def activate(self):\n        pass\n")
    argv = [command, *(["fine"] if command == "inspect" else []), "plugins"]
    assert main_in(tmp_path, argv) == 0
    argv = [command, *(["fine"] if command == "inspect" else []), "missing/"]
    assert main_in(tmp_path, argv) == 2  # a missing path is a usage error, never "no plugins"


@pytest.mark.parametrize("command", ["list", "graph", "doctor"])
def test_a_missing_configuration_file_is_a_usage_error(tmp_path: Path, command: str) -> None:
    argv = [command, "--config", "missing.toml"]
    (tmp_path / "plugins").mkdir()
    assert main_in(tmp_path, argv) == 2


def test_doctor_exits_zero_when_nothing_failed(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "fine", "class Plugin:\n    def activate(self):\n        pass\n")
    assert main_in(tmp_path, ["doctor", "--activate", "plugins"]) == 0
