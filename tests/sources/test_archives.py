"""Archives: loaded in place from the zip file, refused before anything runs when unsafe or tampered with."""

from __future__ import annotations

import hashlib
import io
import stat
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from manifold import ArchiveError, ArchiveLimits, ArchiveSource, FolderSource, Manager, validate, verify_archive
from manifold.cli import main
from manifold.sources.archives import open_archive
from manifold.sources.locations import as_source
from manifold.tools.pack import hash_list, write_archive

MANIFEST = b'[plugin]\nid = "acme.bad"\nversion = "1"\npackages = ["bad_pkg"]\nclass = "bad_pkg:Plugin"\n'
BAD_CODE = b"import pathlib\npathlib.Path('ran.txt').write_text('the code ran')\nclass Plugin:\n    pass\n"
GOOD_CODE = "class Plugin:\n    def activate(self):\n        self.active = True\n"


def good_files() -> dict[str, bytes]:
    return {"plugin.toml": MANIFEST, "bad_pkg/__init__.py": BAD_CODE}


def craft(
    path: Path,
    files: dict[str, bytes],
    *,
    listed: dict[str, bytes] | None = None,
    add: Callable[[zipfile.ZipFile], None] | None = None,
    method: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """An archive of ``files`` whose MANIFOLD-HASHES lists ``listed`` (default: ``files``), then ``add``'s entries."""
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("MANIFOLD-HASHES", hash_list(files if listed is None else listed))
        for name, content in files.items():
            archive.writestr(name, content)
        if add is not None:
            add(archive)
    return path


def entry(name: str, content: bytes, mode: int = 0o100644) -> Callable[[zipfile.ZipFile], None]:
    def add(archive: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate names this test wants
            archive.writestr(info, content)

    return add


def set_encrypted(path: Path, name: str) -> None:
    """Set the "encrypted" flag of entry ``name`` in its local header and in the central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        data[archive.getinfo(name).header_offset + 6] |= 0x1
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + length] == name.encode():
            data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def drop_in(plugins: Path, tmp_path: Path) -> None:
    """A drop-in folder with a plugin folder and a sound archive beside the archive a test adds."""
    (plugins / "good" / "arc_good").mkdir(parents=True)
    (plugins / "good" / "plugin.toml").write_text(
        '[plugin]\nid = "acme.good"\nversion = "1"\npackages = ["arc_good"]\nclass = "arc_good:Plugin"\n'
    )
    (plugins / "good" / "arc_good" / "__init__.py").write_text(GOOD_CODE)
    files = {
        "plugin.toml": b'[plugin]\nid = "acme.zipped"\nversion = "1"\npackages = ["arc_zipped"]\n'
        b'class = "arc_zipped:Plugin"\n',
        "arc_zipped/__init__.py": GOOD_CODE.encode(),
    }
    with open(plugins / "zipped.mfz", "wb") as out:
        write_archive(out, files)


ZEROS = b"\0" * (2 << 20)


def _ratio_message(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bad_pkg/zeros.bin")
    ratio = info.file_size / info.compress_size
    sizes = f"{info.file_size} bytes from {info.compress_size}"
    return f"unpacks to {ratio:.0f} times its packed size ({sizes}), more than the limit of 100"


def _total(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _changed_message() -> str:
    now, said = hashlib.sha256(b"changed = True\n").hexdigest(), hashlib.sha256(BAD_CODE).hexdigest()
    return f"bad_pkg/__init__.py: changed since packing (its sha256 is {now[:16]}…, MANIFOLD-HASHES says {said[:16]}…)"


# (name, how the archive is made, the limits, the reason code, the first message, how many more)
REFUSALS: list[tuple[str, Callable[[Path], object], ArchiveLimits, str, Callable[[Path], str], int]] = [
    (
        "dot-dot",
        lambda p: craft(p, good_files(), add=entry("../evil.py", b"x = 1")),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"../evil.py": a name with .., which would leave the archive',
        0,
    ),
    (
        "absolute",
        lambda p: craft(p, good_files(), add=entry("/tmp/evil.py", b"x = 1")),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"/tmp/evil.py": an absolute name; names in an archive are relative',
        0,
    ),
    (
        "backslash",
        lambda p: craft(p, good_files(), add=entry("bad_pkg\\evil.py", b"x = 1")),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg\\\\evil.py": a backslash in the name; archive names are separated by /',
        0,
    ),
    (
        "symlink",
        lambda p: craft(p, good_files(), add=entry("bad_pkg/secret.py", b"/etc/passwd", stat.S_IFLNK | 0o777)),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg/secret.py": is a symbolic link; an archive holds regular files and folders only',
        0,
    ),
    (
        "duplicate",
        lambda p: craft(p, good_files(), add=entry("bad_pkg/__init__.py", b"x = 2")),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg/__init__.py": appears more than once in the archive',
        0,
    ),
    (
        "file-and-folder",
        lambda p: craft(p, {**good_files(), "bad_pkg/__init__.py/x.py": b""}),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg/__init__.py": is both a file and the folder of "bad_pkg/__init__.py/x.py"',
        0,
    ),
    (
        "encrypted",
        lambda p: set_encrypted(craft(p, good_files()), "bad_pkg/__init__.py"),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg/__init__.py": is encrypted; an archive must be readable without a password',
        0,
    ),
    (
        "entry-size",
        lambda p: craft(p, {**good_files(), "bad_pkg/data.bin": b"x" * 5000}),
        ArchiveLimits(max_entry_size=4000),
        "unsafe-archive",
        lambda p: '"bad_pkg/data.bin": unpacks to 5000 bytes, more than the limit of 4000',
        0,
    ),
    (
        "total-size",
        lambda p: craft(p, {**good_files(), "bad_pkg/a.bin": b"x" * 3000, "bad_pkg/b.bin": b"y" * 3000}),
        ArchiveLimits(max_total_size=6000),
        "unsafe-archive",
        lambda p: f"its files unpack to {_total(p)} bytes in all, more than the limit of 6000",
        0,
    ),
    (
        "ratio",
        lambda p: craft(p, {**good_files(), "bad_pkg/zeros.bin": ZEROS}),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"bad_pkg/zeros.bin": ' + _ratio_message(p),
        0,
    ),
    (
        "too-many-entries",
        lambda p: craft(p, {**good_files(), **{f"bad_pkg/m{i}.py": b"" for i in range(10)}}),
        ArchiveLimits(max_entries=12),
        "unsafe-archive",
        lambda p: "holds 13 entries, more than the limit of 12",
        0,
    ),
    (
        "compression-method",
        lambda p: craft(p, good_files(), method=zipfile.ZIP_BZIP2),
        ArchiveLimits(),
        "unsafe-archive",
        lambda p: '"MANIFOLD-HASHES": uses compression method 12; only stored and deflated entries can be read',
        2,
    ),
    (
        "not-a-zip",
        lambda p: p.write_bytes(b"[plugin]\nid = 'acme.bad'\n"),
        ArchiveLimits(),
        "bad-archive",
        lambda p: "not a zip archive (File is not a zip file)",
        0,
    ),
    (
        "no-manifest",
        lambda p: craft(p, {"inner/plugin.toml": MANIFEST}),
        ArchiveLimits(),
        "bad-archive",
        lambda p: "holds neither plugin.toml nor bundle.toml at its root",
        0,
    ),
    (
        "no-hash-list",
        lambda p: zipfile.ZipFile(p, "w").close() or _no_list(p),
        ArchiveLimits(),
        "integrity",
        lambda p: "no MANIFOLD-HASHES: the archive carries no hash list, so its files cannot be checked",
        0,
    ),
    (
        "changed",
        lambda p: craft(p, {**good_files(), "bad_pkg/__init__.py": b"changed = True\n"}, listed=good_files()),
        ArchiveLimits(),
        "integrity",
        lambda p: _changed_message(),
        0,
    ),
    (
        "missing",
        lambda p: craft(p, good_files(), listed={**good_files(), "bad_pkg/gone.py": b""}),
        ArchiveLimits(),
        "integrity",
        lambda p: "bad_pkg/gone.py: listed in MANIFOLD-HASHES but missing from the archive",
        0,
    ),
    (
        "extra",
        lambda p: craft(p, good_files(), add=entry("bad_pkg/extra.py", b"x = 1")),
        ArchiveLimits(),
        "integrity",
        lambda p: "bad_pkg/extra.py: not listed in MANIFOLD-HASHES; it was added after packing",
        0,
    ),
]


def _no_list(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in good_files().items():
            archive.writestr(name, content)


@pytest.mark.parametrize(("name", "make", "limits", "code", "message", "more"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_archive_is_filtered_while_the_others_load(
    plugins: Path,
    tmp_path: Path,
    name: str,
    make: Callable[[Path], object],
    limits: ArchiveLimits,
    code: str,
    message: Callable[[Path], str],
    more: int,
) -> None:
    drop_in(plugins, tmp_path)
    make(plugins / "bad.mfz")
    expected = message(plugins / "bad.mfz")
    with Manager([FolderSource(Path("plugins"), limits)], environ={}) as manager:
        report = manager.activate_all()
        assert report.active == ["acme.good", "acme.zipped"]
        bad = report.plugins["plugins/bad.mfz"]
        assert bad.state == "filtered"
        assert bad.reason is not None
        assert bad.reason.code == code
        tail = f" (and {more} more)" if more else ""
        assert bad.reason.message == f"plugins/bad.mfz: error[{code}]: {expected}{tail}"
        refused = [d for d in report.diagnostics if d.file == "plugins/bad.mfz"]
        assert (refused[0].code, refused[0].message, len(refused)) == (code, expected, more + 1)
        assert "acme.bad" not in report.plugins
    assert "bad_pkg" not in sys.modules
    assert not Path("ran.txt").exists()
    # `manifold.verify_archive` applies exactly the rules loading applies, a manifest at the root included
    verified = [d.message for d in verify_archive(plugins / "bad.mfz", limits=limits)]
    assert verified[:1] == [expected]


def test_tampering_is_caught_before_any_code_of_the_archive_runs(plugins: Path) -> None:
    files = {
        "plugin.toml": MANIFEST.replace(b'version = "1"', b'version = "1"\nactivation = "eager"'),
        "bad_pkg/__init__.py": BAD_CODE,
    }
    craft(plugins / "bad.mfz", {**files, "bad_pkg/__init__.py": BAD_CODE + b"# one more line\n"}, listed=files)
    with Manager(["plugins"], environ={}) as manager:
        report = manager.start()
        assert report.plugins["plugins/bad.mfz"].reason.code == "integrity"  # type: ignore[union-attr]
    assert not Path("ran.txt").exists()
    craft(plugins / "bad.mfz", files)  # the same archive, sound: its code runs when it is activated
    with Manager(["plugins"], environ={}) as manager:
        assert manager.start().active == ["acme.bad"]
    assert Path("ran.txt").read_text() == "the code ran"


def test_an_archive_is_imported_in_place(plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    code = (
        "from importlib.resources import files\n"
        "class Plugin:\n"
        "    def __init__(self, context):\n"
        "        self.context = context\n"
        "def greeting():\n"
        "    return files(__name__).joinpath('data/greeting.txt').read_text()\n"
    )
    with open(tmp_path / "hello.mfz", "wb") as out:
        write_archive(
            out,
            {
                "plugin.toml": b'[plugin]\nid = "acme.hello"\nversion = "1"\npackages = ["arc_hello"]\n'
                b'class = "arc_hello:Plugin"\n\n[[extensions]]\npoint = "acme.greetings"\nref = "arc_hello:greeting"\n',
                "arc_hello/__init__.py": code.encode(),
                "arc_hello/data/greeting.txt": b"hello from the archive",
                "notes.txt": b"read through the plugin folder",
            },
        )
    (tmp_path / "hello.mfz").rename(plugins / "hello.mfz")
    with Manager(["plugins"], environ={}) as manager:
        assert manager.extension("acme.greetings").load()() == "hello from the archive"
        plugin = manager.plugin("acme.hello")
        assert plugin.context.root.joinpath("notes.txt").read_text() == "read through the plugin folder"
        module = sys.modules["arc_hello"]
        assert module.__file__ == str((plugins / "hello.mfz" / "arc_hello" / "__init__.py").absolute())
        assert type(module.__loader__).__name__ == "zipimporter"
    assert list(temp.iterdir()) == []
    assert [p.name for p in plugins.iterdir()] == ["hello.mfz"]
    assert "arc_hello" not in sys.modules


def test_an_archive_given_as_a_source(plugins: Path, tmp_path: Path) -> None:
    drop_in(plugins, tmp_path)
    assert as_source("plugins/zipped.mfz") == ArchiveSource(Path("plugins/zipped.mfz"))
    with Manager(["plugins/zipped.mfz"], environ={}) as manager:
        report = manager.activate_all()
        assert report.active == ["acme.zipped"]
        assert report.plugins["acme.zipped"].source == "plugins/zipped.mfz"
        assert report.plugins["acme.zipped"].file == "plugins/zipped.mfz/plugin.toml"
    with Manager(["plugins/gone.mfz"], environ={}) as manager:
        assert [d.format() for d in manager.discover().diagnostics] == [
            "plugins/gone.mfz: warning[source]: plugins/gone.mfz: no such archive"
        ]


def test_a_zip_suffix_is_accepted(plugins: Path) -> None:
    with open(plugins / "other.zip", "wb") as out:
        write_archive(out, {"plugin.toml": b'[plugin]\nid = "acme.other"\nversion = "1"\n'})
    with Manager(["plugins"], environ={}) as manager:
        assert manager.discover().plugins["acme.other"].file == "plugins/other.zip/plugin.toml"


def test_open_archive_raises_with_every_problem(tmp_path: Path) -> None:
    path = craft(tmp_path / "x.mfz", good_files(), add=lambda a: [entry(n, b"")(a) for n in ("../a", "/b")])
    with pytest.raises(ArchiveError) as caught:
        open_archive(path, name="x.mfz")
    assert str(caught.value) == (
        "x.mfz is refused:\n"
        'x.mfz: error[unsafe-archive]: "../a": a name with .., which would leave the archive\n'
        'x.mfz: error[unsafe-archive]: "/b": an absolute name; names in an archive are relative'
    )
    assert [d.code for d in caught.value.diagnostics] == ["unsafe-archive", "unsafe-archive"]


def test_write_archive_is_reproducible_and_refuses_unsafe_names() -> None:
    files = {"b/c.py": b"c", "a.txt": b"a", "plugin.toml": b""}
    first, second = io.BytesIO(), io.BytesIO()
    write_archive(first, files)
    write_archive(second, dict(reversed(files.items())))
    assert first.getvalue() == second.getvalue()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["MANIFOLD-HASHES", "a.txt", "b/", "b/c.py", "plugin.toml"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {oct(i.external_attr >> 16) for i in archive.infolist()} == {"0o100644", "0o40755"}
        assert archive.read("MANIFOLD-HASHES").decode() == "".join(
            f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)
        )
    for name in ("../x", "/x", "MANIFOLD-HASHES", "a//b"):
        with pytest.raises(ValueError, match="cannot be a file in an archive"):
            write_archive(io.BytesIO(), {name: b""})


def test_validate_reports_a_refused_archive(plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    craft(plugins / "bad.mfz", good_files(), add=entry("bad_pkg/extra.py", b""))
    report = validate(["plugins"])
    assert [d.format() for d in report.diagnostics] == [
        "plugins/bad.mfz: error[integrity]: bad_pkg/extra.py: not listed in MANIFOLD-HASHES; it was added after packing"
    ]
    assert main(["validate", "plugins/bad.mfz"]) == 1
    assert capsys.readouterr().out == report.diagnostics[0].format() + "\n"


# -- manifold verify ---------------------------------------------------------------------------------


def test_verify_catches_one_changed_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sound = tmp_path / "sound.mfz"
    with open(sound, "wb") as out:
        write_archive(out, {"plugin.toml": MANIFEST, "bad_pkg/__init__.py": BAD_CODE * 20})
    digest = hashlib.sha256(sound.read_bytes()).hexdigest()
    assert main(["verify", str(sound)]) == 0
    assert capsys.readouterr() == (f"{sound}: ok, sha256 {digest}\n", "")

    damaged = tmp_path / "damaged.mfz"
    data = bytearray(sound.read_bytes())
    with zipfile.ZipFile(sound) as archive:
        info = archive.getinfo("bad_pkg/__init__.py")
    start = info.header_offset + 30 + len(info.filename.encode())
    data[start + info.compress_size // 2] ^= 0x01  # one byte in the middle of the file's packed data
    damaged.write_bytes(bytes(data))
    with zipfile.ZipFile(damaged) as archive, pytest.raises(Exception) as caught:  # noqa: PT011
        archive.read("bad_pkg/__init__.py")
    assert main(["verify", str(sound), str(damaged)]) == 1
    out, err = capsys.readouterr()
    assert out == (
        f"{sound}: ok, sha256 {digest}\n"
        f"{damaged}: error[integrity]: bad_pkg/__init__.py: damaged, its data cannot be read ({caught.value})\n"
    )
    assert err == ""


def test_verify_json_and_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = craft(tmp_path / "big.mfz", {**good_files(), "bad_pkg/data.bin": b"x" * 5000})
    assert main(["verify", str(path)]) == 0
    capsys.readouterr()
    assert main(["verify", "--max-entry-size", "4000", "--format", "json", str(path)]) == 1
    import json

    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False
    assert result["archives"][0]["file"] == str(path)
    assert result["archives"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [(d["code"], d["message"]) for d in result["archives"][0]["diagnostics"]] == [
        ("unsafe-archive", '"bad_pkg/data.bin": unpacks to 5000 bytes, more than the limit of 4000')
    ]


def test_verify_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nope.mfz")]) == 2
    assert capsys.readouterr() == ("", f"manifold: error: {tmp_path / 'nope.mfz'}: no such file\n")


def test_an_archive_replaced_after_discovery_does_not_run(plugins: Path) -> None:
    files = good_files()
    with open(plugins / "bad.mfz", "wb") as out:
        write_archive(out, files)
    with Manager(["plugins"], environ={}) as manager:
        assert manager.discover().plugins["acme.bad"].state == "resolved"
        replacement = plugins / ".new.mfz"
        with open(replacement, "wb") as out:
            write_archive(out, {**files, "bad_pkg/__init__.py": BAD_CODE + b"# another release\n"})
        replacement.replace(plugins / "bad.mfz")
        assert manager.activate("acme.bad") is False
        info = manager.inspect("acme.bad")
        assert info.state == "failed"
        assert info.reason is not None
        assert (info.reason.code, info.reason.phase) == ("failed", "import")
        assert info.reason.message == (
            "acme.bad failed in import: ArchiveError: plugins/bad.mfz is refused:\n"
            "plugins/bad.mfz: error[integrity]: changed since it was checked; read it again (rescan) before using it"
        )
        assert not Path("ran.txt").exists()
        manager.rescan()
        assert manager.activate("acme.bad") is True
    assert Path("ran.txt").read_text() == "the code ran"


def test_rescan_reloads_a_rewritten_archive(plugins: Path) -> None:
    def release(text: bytes) -> None:
        temporary = plugins / ".next.mfz"
        with open(temporary, "wb") as out:
            write_archive(
                out,
                {
                    "plugin.toml": b'[plugin]\nid = "acme.rel"\nversion = "1"\npackages = ["arc_rel"]\n',
                    "arc_rel/__init__.py": text,
                },
            )
        temporary.replace(plugins / "rel.mfz")

    release(b"VALUE = 1\n")
    with Manager(["plugins"], environ={}) as manager:
        assert manager.activate("acme.rel")
        assert sys.modules["arc_rel"].VALUE == 1
        release(b"VALUE = 2\n")
        assert manager.rescan().changed == ("acme.rel",)
        assert manager.inspect("acme.rel").state == "active"
        assert sys.modules["arc_rel"].VALUE == 2


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_the_hash_list_is_read_line_by_line_on_newlines_only(plugins: Path, separator: str) -> None:
    """A name holding a character that str.splitlines() splits on (an archive from another tool) is one line."""
    files = {**good_files(), f"data/a{separator}b.txt": b"data"}
    craft(plugins / "odd.mfz", files)
    assert verify_archive(plugins / "odd.mfz") == ()
