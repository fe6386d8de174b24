"""``manifold pack``: validated first, reproducible to the byte, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from manifold import ArchiveLimits, Manager, PackError, pack, validate
from manifold.cli import main

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = '[plugin]\nid = "acme.kettle"\nversion = "1.4.0"\npackages = ["pk_kettle"]\n'


def plugin_folder(folder: Path) -> Path:
    files = {
        "plugin.toml": MANIFEST,
        "pk_kettle/__init__.py": "WATTS = 2200\n",
        "pk_kettle/data/modes.json": '["boil", "warm"]\n',
        "README.md": "the kettle\n",
        "pk_kettle/__pycache__/__init__.cpython-311.pyc": "bytecode",
        "pk_kettle/old.pyc": "bytecode",
        ".git/HEAD": "ref: refs/heads/main\n",
        ".DS_Store": "",
        "pk_kettle/.hidden.py": "",
    }
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pack_a_plugin_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    plugin_folder(tmp_path / "kettle")
    assert main(["pack", "kettle"]) == 0
    out, err = capsys.readouterr()
    digest = sha256(tmp_path / "acme.kettle-1.4.0.mfz")
    assert out == (f"packed plugin acme.kettle 1.4.0 (4 files) into acme.kettle-1.4.0.mfz\nsha256 {digest}\n")
    assert err == ""
    with zipfile.ZipFile(tmp_path / "acme.kettle-1.4.0.mfz") as archive:
        assert archive.namelist() == [
            "MANIFOLD-HASHES",
            "README.md",
            "pk_kettle/",
            "pk_kettle/__init__.py",
            "pk_kettle/data/",
            "pk_kettle/data/modes.json",
            "plugin.toml",
        ]
    assert main(["verify", "acme.kettle-1.4.0.mfz"]) == 0
    assert capsys.readouterr().out == f"acme.kettle-1.4.0.mfz: ok, sha256 {digest}\n"
    with Manager(["acme.kettle-1.4.0.mfz"], environ={}) as manager:
        assert manager.activate("acme.kettle")
        assert manager.inspect("acme.kettle").file == "acme.kettle-1.4.0.mfz/plugin.toml"


def test_packing_is_reproducible(tmp_path: Path) -> None:
    first = plugin_folder(tmp_path / "one" / "kettle")
    second = tmp_path / "two" / "kettle"
    shutil.copytree(first, second)
    for path in second.rglob("*"):  # other times and permissions: the archive must not change
        os.utime(path, (1_700_000_000, 1_700_000_000))
        if path.is_file():
            path.chmod(0o600)
    (second / "pk_kettle" / "__init__.py").chmod(0o755)
    a = pack(first, tmp_path / "a.mfz")
    b = pack(second, tmp_path / "b.mfz")
    again = pack(first, tmp_path / "a-again.mfz")
    assert a.sha256 == b.sha256 == again.sha256 == sha256(tmp_path / "a.mfz") == sha256(tmp_path / "b.mfz")
    assert (tmp_path / "a.mfz").read_bytes() == (tmp_path / "b.mfz").read_bytes()
    assert a.files == ("README.md", "pk_kettle/__init__.py", "pk_kettle/data/modes.json", "plugin.toml")
    with zipfile.ZipFile(tmp_path / "a.mfz") as archive:
        assert archive.read("MANIFOLD-HASHES").decode() == "".join(
            f"{hashlib.sha256((first / name).read_bytes()).hexdigest()}  {name}\n" for name in a.files
        )
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.filename: oct(i.external_attr >> 16) for i in archive.infolist()}["pk_kettle/__init__.py"] == (
            "0o100644"
        )
    assert oct((tmp_path / "a.mfz").stat().st_mode & 0o777) == "0o644"


def test_pack_refuses_an_invalid_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    plugin_folder(tmp_path / "kettle")
    (tmp_path / "kettle" / "plugin.toml").write_text(MANIFEST.replace('"1.4.0"', '"1.4-final-x"'))
    assert main(["pack", "kettle", "-o", "out.mfz"]) == 1
    out, err = capsys.readouterr()
    assert out == (
        'kettle/plugin.toml:3:1: error[version]: plugin.version: "1.4-final-x" is not a valid PEP 440 version '
        '(e.g. "1.2.0", "2.0rc1")\n'
    )
    assert err == "manifold: error: kettle is not valid; nothing was packed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kettle"]


def test_an_interrupted_pack_leaves_no_partial_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import manifold.tools.pack

    plugin_folder(tmp_path / "kettle")
    out = tmp_path / "dist" / "kettle.mfz"
    out.parent.mkdir()
    out.write_bytes(b"the previous archive")

    def interrupted(target: object, files: object) -> None:
        target.write(b"PK\x03\x04 half an archive")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    monkeypatch.setattr(manifold.tools.pack, "write_archive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pack(tmp_path / "kettle", out)
    assert [p.name for p in out.parent.iterdir()] == ["kettle.mfz"]
    assert out.read_bytes() == b"the previous archive"
    out.unlink()
    with pytest.raises(KeyboardInterrupt):
        pack(tmp_path / "kettle", out)
    assert list(out.parent.iterdir()) == []


def test_pack_refuses_an_archive_that_would_be_refused(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path / "kettle")
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz", limits=ArchiveLimits(max_entries=6))
    assert str(caught.value) == f"{tmp_path / 'k.mfz'} would be refused when loaded; nothing was packed"
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{tmp_path / 'k.mfz'}: error[unsafe-archive]: holds 7 entries, more than the limit of 6"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kettle"]


def test_pack_reads_no_file_beyond_the_limits(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path / "kettle")
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz", limits=ArchiveLimits(max_entry_size=12))
    assert str(caught.value) == f"{folder} holds files that cannot be packed; nothing was packed"
    names = ["pk_kettle/__init__.py", "pk_kettle/data/modes.json", "plugin.toml"]  # README.md: 11 bytes
    assert [d.format() for d in caught.value.diagnostics] == [
        f'{folder / name}: error[unsafe-archive]: "{name}": is {(folder / name).stat().st_size} bytes, more than '
        "the limit of 12"
        for name in names
    ]
    with pytest.raises(PackError) as caught:
        pack(folder, tmp_path / "k.mfz", limits=ArchiveLimits(max_total_size=40))
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{folder}: error[unsafe-archive]: its files are more than the limit of 40 bytes in all"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kettle"]


def test_pack_refuses_symbolic_links(tmp_path: Path) -> None:
    plugin_folder(tmp_path / "kettle")
    (tmp_path / "kettle" / "pk_kettle" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(PackError) as caught:
        pack(tmp_path / "kettle", tmp_path / "k.mfz")
    assert [d.format() for d in caught.value.diagnostics] == [
        f"{tmp_path}/kettle/pk_kettle/passwd: error[symlink]: is a symbolic link; replace it with the file or "
        "folder it points to"
    ]
    assert not (tmp_path / "k.mfz").exists()


def test_pack_a_bundle_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "src"
    (folder / "timer" / "pk_timer").mkdir(parents=True)
    (folder / "timer" / "pk_timer" / "__init__.py").write_text("")
    (folder / "scale").mkdir()
    (folder / "scale" / "plugin.toml").write_text('[plugin]\nid = "acme.scale"\nversion = "1"\n')
    (folder / "unrelated.txt").write_text("not part of the bundle")
    (folder / "kitchen.toml").write_text(
        '[bundle]\nid = "acme.kitchen"\nversion = "2.0"\n\n'
        '[[plugins]]\npath = "timer"\nid = "acme.timer"\nversion = "1"\npackages = ["pk_timer"]\n\n'
        '[[plugins]]\npath = "scale"\n'
    )
    assert main(["pack", "src/kitchen.toml", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "ok": True,
        "archive": "acme.kitchen-2.0.mfz",
        "kind": "bundle",
        "id": "acme.kitchen",
        "version": "2.0",
        "files": ["bundle.toml", "scale/plugin.toml", "timer/pk_timer/__init__.py"],
        "sha256": sha256(tmp_path / "acme.kitchen-2.0.mfz"),
        "diagnostics": [],
    }
    with zipfile.ZipFile("acme.kitchen-2.0.mfz") as archive:
        assert archive.read("bundle.toml") == (folder / "kitchen.toml").read_bytes()
    report = validate(["acme.kitchen-2.0.mfz"])
    assert (report.diagnostics, [m.id for m in report.manifests]) == ((), ["acme.timer", "acme.scale"])


def test_pack_the_reference_bundle(tmp_path: Path) -> None:
    packed = pack(ROOT / "manifests" / "bundle.toml", tmp_path / "teatime.mfz")
    assert (packed.id, packed.version, packed.kind) == ("acme.teatime", "2.1.0", "bundle")
    assert packed.files == (
        "bundle.toml",
        "members/clock/acme_clock/__init__.py",
        "members/scale/acme_scale/__init__.py",
        "members/scale/plugin.toml",
        "members/timer/src/acme_timer/__init__.py",
        "members/timer/src/acme_timer/api.py",
        "members/timer/src/acme_timer/plugin.py",
    )
    with Manager([tmp_path / "teatime.mfz"], app="acme.kettle-app", app_version="3.2", api_version="1.4") as manager:
        report = manager.start()
        assert report.active == ["acme.teatime.clock", "acme.teatime.scale", "acme.teatime.timer"]
        assert manager.extension("acme.teatime.timer.sounds").load().play(7) == "dingding"
        assert manager.settings("acme.teatime.timer") == {"minutes": 3}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pack", "nowhere"], "nowhere: no such file or folder"),
        (["pack", "empty"], "empty: holds neither plugin.toml nor bundle.toml; give a plugin or bundle folder"),
        (["pack", "notes.txt"], "notes.txt: not a plugin.toml or a bundle manifest; give a plugin folder or a bundle"),
        (["pack", "k.mfz"], "k.mfz: is an archive already; give the plugin or bundle folder it was packed from"),
    ],
)
def test_pack_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    plugin_folder(tmp_path / "kettle")
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "k.mfz").write_bytes(b"")
    assert main(argv) == 2
    assert capsys.readouterr() == ("", f"manifold: error: {message}\n")
