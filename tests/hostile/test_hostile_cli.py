"""Hostile text for the command line: escapes from manifests never reach a terminal raw, JSON is strict, a reader
that stops reading ends a command quietly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manifold.cli import main

# What must never reach a terminal raw: C0 controls but newline and tab, DEL, C1 controls, line and paragraph
# separators, bidirectional overrides and marks, lone surrogates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")

PAYLOADS = {
    "clear-screen": "\x1b[2J\x1b[H",
    "title": "\x1b]0;pwned\x07",
    "hyperlink": "\x1b]8;;https://example.invalid\x1b\\click\x1b]8;;\x1b\\",
    "carriage-return": "safe\rEVIL",
    "backspace": "abc\x08\x08\x08xyz",
    "c1-csi": "\x9b31mred",
    "c1-osc": "\x9d0;title\x9c",
    "rtl-override": "\u202eevil\u202c",
    "line-separator": "one\u2028two",
    "bell-and-delete": "\x07\x7f",
    "nul": "a\x00b",
    "tab-and-newline": "a\tb\nc",
}
COMMANDS = {
    "list": ["list", "--all"],
    "list-json": ["list", "--all", "--format", "json"],
    "inspect": ["inspect", "acme.evil"],
    "inspect-invalid": ["inspect", "acme.bad"],
    "inspect-json": ["inspect", "acme.evil", "--format", "json"],
    "graph-dot": ["graph"],
    "graph-mermaid": ["graph", "--format", "mermaid"],
    "graph-json": ["graph", "--format", "json"],
    "doctor": ["doctor"],
    "doctor-json": ["doctor", "--format", "json"],
}
VALIDATE = {
    "validate": ["validate", "plugins"],
    "validate-github": ["validate", "plugins", "--format", "github"],
    "validate-json": ["validate", "plugins", "--format", "json"],
}


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a TOML basic string: \uXXXX escapes for every character above


def hostile_plugins(root: Path, payload: str) -> None:
    """``acme.evil``, valid, with ``payload`` in its folder's name, a description, a point and a config; and
    ``acme.bad``, whose invalid version carries it into reasons and diagnostics."""
    folder_name = "evil" + payload.replace("\x00", "").replace("/", "") + "x"
    evil = root / "plugins" / folder_name
    evil.mkdir(parents=True)
    (evil / "plugin.toml").write_text(
        f'[plugin]\nid = "acme.evil"\nversion = "1.0"\ndescription = {toml_string(payload)}\n\n'
        f'[[extension-points]]\nid = "acme.evil.things"\ndescription = {toml_string(payload)}\n\n'
        f'[[extensions]]\npoint = "acme.evil.things"\nid = "one"\nconfig = {{ motd = {toml_string(payload)} }}\n',
        encoding="utf-8",
    )
    bad = root / "plugins" / "bad"
    bad.mkdir()
    (bad / "plugin.toml").write_text(f'[plugin]\nid = "acme.bad"\nversion = {toml_string(payload)}\n')


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("argv", [*COMMANDS.values(), *VALIDATE.values()], ids=[*COMMANDS, *VALIDATE])
def test_no_escape_reaches_the_terminal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    payload: str,
    argv: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile_plugins(tmp_path, payload)
    code = main(argv if argv[0] == "validate" else [*argv, "--path", "plugins"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "internal error" not in err
    assert RAW.findall(out) == []
    assert RAW.findall(err) == []
    if "json" in argv:
        json.loads(out, parse_constant=lambda word: pytest.fail(f"{word} in JSON"))


def test_the_escapes_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile_plugins(tmp_path, "\x1b]0;pwned\x07\r\x9b2J\u202e")
    assert main(["validate", "plugins"]) == 1
    assert capsys.readouterr() == (
        'plugins/bad/plugin.toml:3:1: error[version]: plugin.version: "\\u001b]0;pwned\\u0007\\r\\x9b2J\\u202e" '
        'is not a valid PEP 440 version (e.g. "1.2.0", "2.0rc1")\n',
        "1 error, 0 warnings; 1 valid manifest\n",
    )
    assert main(["inspect", "acme.evil", "--path", "plugins"]) == 0
    assert capsys.readouterr().out == (
        "acme.evil 1.0\n"
        "  state:        resolved\n"
        "  source:       plugins\n"
        "  manifest:     plugins/evil\\x1b]0;pwned\\x07\\x0d\\x9b2J\\u202ex/plugin.toml\n"
        "  depends on:   -\n"
        "  needed by:    -\n"
        "  declares:     acme.evil.things (many) - \\x1b]0;pwned\\x07\\x0d\\x9b2J\\u202e\n"
        "  contributes:  acme.evil.things one <- (data) priority=0 "
        'config={"motd": "\\u001b]0;pwned\\u0007\\r\\x9b2J\\u202e"}\n'
    )


def test_a_table_cell_stays_on_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    hostile_plugins(tmp_path, "x")
    os.rename(tmp_path / "plugins" / "bad", tmp_path / "plugins" / "b\na\td")
    assert main(["list", "--all", "--path", "plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4  # the header, its dashes, two plugins
    assert "plugins/b\\x0aa\\x09d/plugin.toml:3:1: error[version]" in lines[2]


# -- strict JSON ---------------------------------------------------------------------------------------

NON_FINITE = (
    '[plugin]\nid = "acme.odd"\nversion = "1.0"\n\n'
    '[[extension-points]]\nid = "acme.odd.limits"\n'
    'config-schema = { type = "object", properties = { ratio = { type = "number", maximum = inf } } }\n\n'
    '[[extensions]]\npoint = "acme.odd.limits"\nid = "one"\n'
    "config = { ratio = nan, big = inf, small = -inf, listed = [nan, -inf, 1.5], deep = { deeper = [[inf]] } }\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "acme.odd", "--format", "json", "--path", "plugins"],
        ["list", "--format", "json", "--path", "plugins"],
        ["graph", "--format", "json", "--path", "plugins"],
        ["doctor", "--format", "json", "--path", "plugins"],
        ["validate", "plugins", "--format", "json"],
        ["schema", "--composed", "--path", "plugins"],
    ],
    ids=["inspect", "list", "graph", "doctor", "validate", "schema-composed"],
)
def test_json_is_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plugins" / "odd").mkdir(parents=True)
    (tmp_path / "plugins" / "odd" / "plugin.toml").write_text(NON_FINITE)
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=lambda word: pytest.fail(f"{word} in JSON"))
    if argv[0] == "inspect":
        assert data["extensions"][0]["config"] == {
            "ratio": "nan",
            "big": "inf",
            "small": "-inf",
            "listed": ["nan", "-inf", 1.5],
            "deep": {"deeper": [["inf"]]},
        }
    if argv[0] == "schema":
        assert '"maximum": "inf"' in json.dumps(data)


# -- a reader that stops reading -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "plugins"],
        ["validate", "plugins", "--format", "json"],
        ["list", "--all", "--path", "plugins"],
        ["graph", "--path", "plugins", "--order"],
        ["schema"],
        ["--help"],
    ],
    ids=["validate", "validate-json", "list", "graph-order", "schema", "help"],
)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path, argv: list[str]) -> None:
    hostile_plugins(tmp_path, "x")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: `manifold ... | head -0`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "manifold", *argv],
            cwd=tmp_path,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0 if argv == ["--help"] else 141, "")  # argparse ignores it itself


def test_a_reader_that_stops_after_one_line(tmp_path: Path) -> None:
    for n in range(40):  # enough diagnostics to fill the pipe
        (tmp_path / "plugins" / f"p{n}").mkdir(parents=True)
        (tmp_path / "plugins" / f"p{n}" / "plugin.toml").write_text(f'[plugin]\nid = "p{n}"\nversion = "x"\n')
    command = f"{sys.executable} -m manifold validate plugins plugins plugins plugins | head -1"
    done = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("plugins/p0/plugin.toml:3:1: error[version]")
    assert done.stdout.count("\n") == 1
    assert "error" not in done.stderr.replace("errors,", "")  # at most the summary, never "internal error"


# -- pack and verify print names from the folder and the archive -------------------------------------------


def test_pack_prints_a_hostile_file_name_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k" / "pk").mkdir(parents=True)
    (tmp_path / "k" / "plugin.toml").write_text('[plugin]\nid = "acme.k"\nversion = "1.0"\npackages = ["pk"]\n')
    (tmp_path / "k" / "pk" / "__init__.py").write_text("")
    (tmp_path / "k" / "pk" / "a\n\x1b[2Jb.py").write_text("")
    assert main(["pack", "k"]) == 1
    assert capsys.readouterr() == (
        "k/pk/a\\x0a\\x1b[2Jb.py: error[unpackable]: cannot be packed: a control character in the name\n",
        "manifold: error: k holds files that cannot be packed; nothing was packed\n",
    )


@pytest.mark.parametrize("name", ["evil\x9b2J.py", "rtl\u202eyp.exe", "sep\u2028arated.py", "nel\x85.py"])
def test_verify_prints_a_hostile_entry_name_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    import zipfile

    monkeypatch.chdir(tmp_path)
    with zipfile.ZipFile("t.mfz", "w") as archive:
        archive.writestr("plugin.toml", '[plugin]\nid = "a.b"\nversion = "1"\n')
        archive.writestr("MANIFOLD-HASHES", "")
        archive.writestr(name, "added later")
    assert main(["verify", "t.mfz"]) == 1
    out, err = capsys.readouterr()
    assert (RAW.findall(out), err) == ([], "")
    assert out.startswith("t.mfz: error[integrity]: ")


@given(st.text() | st.text(st.characters(max_codepoint=0x3000)))
def test_clean_leaves_nothing_raw_and_only_newlines_in_text(text: str) -> None:
    from manifold.cli._output import clean, json_text

    assert RAW.findall(clean(text)) == []
    one_line = clean(text, lines=False)
    assert RAW.findall(one_line + one_line.replace("\n", "\0").replace("\t", "\0")) == []
    assert clean(text) == text or any(RAW.match(c) for c in text)  # what is safe is left as it is
    assert json.loads(json_text({"text": text})) == {"text": text}
    assert RAW.findall(json_text({"text": text}).replace("\n", "")) == []
