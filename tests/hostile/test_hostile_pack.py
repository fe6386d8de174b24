"""Hostile folders for ``manifold pack``: every failure is a diagnostic and exit 1, nothing from outside is packed,
nothing is left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from manifold import PackError, pack
from manifold.cli import main

MANIFEST = '[plugin]\nid = "acme.kettle"\nversion = "1.4.0"\npackages = ["pk"]\n'
REFUSED = "holds files that cannot be packed; nothing was packed"


def kettle(folder: Path) -> Path:
    (folder / "pk").mkdir(parents=True)
    (folder / "plugin.toml").write_text(MANIFEST)
    (folder / "pk" / "__init__.py").write_text("WATTS = 2200\n")
    return folder


def json_pack(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(["pack", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def only_kettle(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "outside") == ["kettle"]


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("MANIFOLD-HASHES", "MANIFOLD-HASHES is the name of the archive's hash list; rename the file"),
        ("pk/back\\slash.py", "a backslash in the name; archive names are separated by /"),
        ("pk/new\nline.py", "a control character in the name"),
        ("pk/carriage\rreturn.py", "a control character in the name"),
        ("pk/escape\x1b[31m.py", "a control character in the name"),
        ("pk/delete\x7f.py", "a control character in the name"),
        ("pk/c1\x9b.py", "a control character or a line separator in the name"),
        ("pk/next\x85line.py", "a control character or a line separator in the name"),
        ("pk/line\u2028separator.py", "a control character or a line separator in the name"),
        ("pk/paragraph\u2029separator.py", "a control character or a line separator in the name"),
        ("C:drive.txt", "an absolute name; names in an archive are relative"),
        ("pk/not-utf8-\udcff.py", "a name that is not valid UTF-8"),
        ("back\\slash/inside.py", "a backslash in the name; archive names are separated by /"),
    ],
)
def test_a_name_no_archive_may_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, relative: str, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = kettle(tmp_path / "kettle")
    bad = folder / relative
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"x = 1\n")
    flagged = folder / relative.split("/")[0] if relative.startswith("back\\") else bad  # a folder: said once
    code, out, err = json_pack(capsys, "kettle", "-o", "k.mfz")
    assert code == 1
    assert out == {
        "ok": False,
        "diagnostics": [
            {
                "severity": "error",
                "code": "unpackable",
                "message": f"cannot be packed: {reason}",
                "file": os.path.relpath(flagged),
                "line": None,
                "column": None,
                "path": None,
                "plugin": None,
            }
        ],
    }
    assert err == f"manifold: error: kettle {REFUSED}\n"
    only_kettle(tmp_path)


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = kettle(tmp_path / "kettle")
    (folder / "pk" / "secret.py").write_text("")
    real_open = os.open

    def refusing(path: object, flags: int, *args: object) -> int:  # as root, no mode makes a file unreadable
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz")
    assert str(caught.value) == f"{folder} {REFUSED}"
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{folder}/pk/secret.py: error[read-error]: cannot be read: Permission denied"
    ]
    only_kettle(tmp_path)


def test_an_unlistable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = kettle(tmp_path / "kettle")
    (folder / "pk" / "locked").mkdir()
    real_scandir = os.scandir

    def refusing(path: object) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz")
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{folder}/pk/locked: error[read-error]: cannot be read: Permission denied"
    ]


def test_a_pipe_is_refused_not_read(tmp_path: Path) -> None:
    folder = kettle(tmp_path / "kettle")
    os.mkfifo(folder / "pk" / "pipe")  # reading it would wait for a writer forever
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz")
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{folder}/pk/pipe: error[unpackable]: is not a regular file or folder (a pipe, socket or device)"
    ]


def test_a_socket_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = kettle(tmp_path / "kettle")
    monkeypatch.chdir(folder / "pk")  # a socket's path is limited to ~100 bytes: bind a relative one
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock")
        with pytest.raises(PackError) as caught:
            pack(folder, tmp_path / "k.mfz")
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{folder}/pk/sock: error[unpackable]: is not a regular file or folder (a pipe, socket or device)"
    ]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = kettle(tmp_path / "kettle")
    (folder / "MANIFOLD-HASHES").write_text("")
    (folder / "pk" / "a\\b.py").write_text("")
    (folder / "pk" / "link.py").symlink_to(folder / "pk" / "__init__.py")
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz")
    assert [(d.code, Path(d.file or "").name) for d in caught.value.diagnostics] == [
        ("unpackable", "MANIFOLD-HASHES"),
        ("unpackable", "a\\b.py"),
        ("symlink", "link.py"),
    ]


# -- the output --------------------------------------------------------------------------------------


def test_output_naming_an_existing_folder_packs_into_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kettle(tmp_path / "kettle")
    (tmp_path / "dist").mkdir()
    assert main(["pack", "kettle", "-o", "dist"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("packed plugin acme.kettle 1.4.0 (2 files) into dist/acme.kettle-1.4.0.mfz\n")
    assert [p.name for p in (tmp_path / "dist").iterdir()] == ["acme.kettle-1.4.0.mfz"]


def test_output_with_missing_folders_creates_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kettle(tmp_path / "kettle")
    assert main(["pack", "kettle", "-o", "dist/2024/k.mfz"]) == 0
    assert capsys.readouterr().out.startswith("packed plugin acme.kettle 1.4.0 (2 files) into dist/2024/k.mfz\n")
    with zipfile.ZipFile(tmp_path / "dist" / "2024" / "k.mfz") as archive:
        assert archive.namelist() == ["MANIFOLD-HASHES", "pk/", "pk/__init__.py", "plugin.toml"]


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("notes.txt/k.mfz", "notes.txt is not a folder"),
        ("notes.txt/deeper/k.mfz", "notes.txt is not a folder"),
        ("occupied", "Is a directory"),
    ],
)
def test_an_archive_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    kettle(tmp_path / "kettle")
    (tmp_path / "notes.txt").write_text("a file in the way")
    (tmp_path / "occupied" / "acme.kettle-1.4.0.mfz").mkdir(parents=True)  # the name in the folder is a folder
    target = output if output != "occupied" else "occupied/acme.kettle-1.4.0.mfz"
    code, out, err = json_pack(capsys, "kettle", "-o", output)
    assert code == 1
    assert out["diagnostics"] == [
        {
            "severity": "error",
            "code": "write-error",
            "message": f"cannot write the archive: {reason}",
            "file": target,
            "line": None,
            "column": None,
            "path": None,
            "plugin": None,
        }
    ]
    assert err == f"manifold: error: {target}: cannot write the archive: {reason}; nothing was packed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kettle", "notes.txt", "occupied"]
    assert [p.name for p in (tmp_path / "occupied").iterdir()] == ["acme.kettle-1.4.0.mfz"]


# -- links out of the folder ---------------------------------------------------------------------------

BUNDLE = (
    '[bundle]\nid = "acme.kitchen"\nversion = "2.0"\n\n'
    '[[plugins]]\npath = "{path}"\nid = "acme.timer"\nversion = "1"\npackages = ["pk_timer"]\n'
)


def outside(tmp_path: Path) -> Path:
    """A plugin folder outside the bundle, with a file that must never reach an archive."""
    folder = tmp_path / "outside" / "timer"
    (folder / "pk_timer").mkdir(parents=True)
    (folder / "pk_timer" / "__init__.py").write_text("SECRET = 'from outside the bundle'\n")
    return folder


@pytest.mark.parametrize(
    ("member", "link"),
    [
        ("timer", "timer"),  # the member folder is a link
        ("sub/timer", "sub"),  # a folder on the way to it is
    ],
)
def test_a_symlinked_bundle_member_is_refused(tmp_path: Path, member: str, link: str) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.toml").write_text(BUNDLE.format(path=member))
    target = outside(tmp_path)
    (bundle / link).symlink_to(target if link == member else target.parent)
    with pytest.raises(PackError) as caught:
        pack(bundle, tmp_path / "k.mfz")
    assert str(caught.value) == f"{bundle} {REFUSED}"
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{bundle / link}: error[symlink]: is a symbolic link; replace it with the file or folder it points to"
    ]
    assert not (tmp_path / "k.mfz").exists()


def test_a_member_holding_a_link_out_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "timer").mkdir(parents=True)
    (bundle / "bundle.toml").write_text(BUNDLE.format(path="timer"))
    (bundle / "timer" / "pk_timer").symlink_to(outside(tmp_path) / "pk_timer")
    with pytest.raises(PackError) as caught:
        pack(bundle, tmp_path / "k.mfz")
    assert [d.code for d in caught.value.diagnostics] == ["symlink"]
    assert not (tmp_path / "k.mfz").exists()


def test_a_linked_manifest_is_refused(tmp_path: Path) -> None:
    folder = kettle(tmp_path / "kettle")
    (tmp_path / "real.toml").write_text(MANIFEST)
    (folder / "plugin.toml").unlink()
    (folder / "plugin.toml").symlink_to(tmp_path / "real.toml")
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz")
    assert [d.code for d in caught.value.diagnostics] == ["symlink"]


# -- signals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "code", "words"),
    [
        (signal.SIGTERM, 143, "manifold: terminated"),
        (signal.SIGINT, 130, "manifold: interrupted"),
        (signal.SIGHUP, 129, "manifold: hung up"),
    ],
)
def test_a_signal_while_the_archive_is_written_leaves_nothing(
    tmp_path: Path, number: signal.Signals, code: int, words: str
) -> None:
    folder = kettle(tmp_path / "kettle")
    (folder / "pk" / "big.bin").write_bytes(random.Random(7).randbytes(12 << 20))  # takes a while to check
    dist = tmp_path / "dist"
    dist.mkdir()
    argv = [sys.executable, "-m", "manifold", "pack", str(folder), "-o", str(dist / "k.mfz")]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not any(dist.iterdir()):  # the temporary file is there: the archive is being written
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.001)
        process.send_signal(number)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out, err) == (code, "", f"{words}\n")
    assert list(dist.iterdir()) == []


# -- verify: what loading refuses -----------------------------------------------------------------------

PLUGIN = b'[plugin]\nid = "acme.kettle"\nversion = "1.4.0"\n'
GONE = (
    b'[bundle]\nid = "acme.kitchen"\nversion = "2.0"\n\n[[plugins]]\npath = "gone"\nid = "acme.gone"\nversion = "1"\n'
)
ROOTLESS = "error[bad-archive]: holds neither plugin.toml nor bundle.toml at its root"


@pytest.mark.parametrize(
    ("files", "name", "said"),
    [
        ({"README.md": b"no manifest"}, "k.mfz", f"k.mfz: {ROOTLESS}"),
        ({"kettle/plugin.toml": PLUGIN}, "k.mfz", f"k.mfz: {ROOTLESS}"),  # one folder too deep
        ({}, "k.mfz", f"k.mfz: {ROOTLESS}"),  # only the hash list
        (
            {"bundle.toml": GONE},
            "k.zip",
            'k.zip/bundle.toml:6:1: error[missing-path]: plugins[0].path: folder "gone" does not exist next to the '
            "bundle manifest",
        ),
        (
            {"plugin.toml": PLUGIN.replace(b"1.4.0", b"x1")},
            "k.mfz",
            'k.mfz/plugin.toml:3:1: error[version]: plugin.version: "x1" is not a valid PEP 440 version (e.g. "1.2.0", '
            '"2.0rc1")',
        ),
        (
            {"plugin.toml": PLUGIN},
            "k.mfz.part",
            "k.mfz.part: error[bad-archive]: is not named *.mfz or *.zip; a host reads an archive by such a name only",
        ),
    ],
)
def test_verify_refuses_what_loading_refuses(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes],
    name: str,
    said: str,
) -> None:
    from manifold import Manager
    from manifold.tools.pack import write_archive

    monkeypatch.chdir(tmp_path)
    with open(name, "wb") as out:
        write_archive(out, files)
    assert main(["verify", name]) == 1
    assert capsys.readouterr() == (f"{said}\n", "")
    (tmp_path / "plugins").mkdir()
    os.replace(name, tmp_path / "plugins" / name)
    with Manager(["plugins"], environ={}) as manager:
        report = manager.start()
    assert report.active == []
    assert {str(info.state) for info in report.plugins.values()} <= {"filtered"}  # refused, or not read at all


def test_verify_still_accepts_what_loading_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kettle(tmp_path / "kettle")
    assert main(["pack", "kettle", "-o", "k.mfz"]) == 0
    capsys.readouterr()
    assert main(["verify", "k.mfz", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["archives"][0]["ok"] is True
