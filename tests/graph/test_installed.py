"""installed_version answers exactly as importlib.metadata.version does, and mostly without importing it."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from importlib.machinery import PathFinder
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import manifold.graph.installed
from manifold.graph.installed import installed_version

IMPLICIT_NONE = "Implicit None on return values is deprecated and will raise KeyErrors."
"""What importlib.metadata.version says (3.12, 3.13) for a distribution without a Version header."""


def importlib_version(name: str) -> str | None:
    """The reference answer, from importlib.metadata in the same setup (its warning about a missing
    Version, which installed_version does not repeat, checked and set aside)."""
    importlib.invalidate_caches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = None
    for warning in caught:
        assert (warning.category, str(warning.message), version) == (DeprecationWarning, IMPLICIT_NONE, None)
    return version


def write_dist(folder: Path, dirname: str, metadata: str | bytes | None, *, filename: str = "METADATA") -> Path:
    """``folder/dirname/filename`` holding ``metadata`` (bytes are written as they are, e.g. with CRLF)."""
    info = folder / dirname
    info.mkdir(parents=True, exist_ok=True)
    if isinstance(metadata, bytes):
        (info / filename).write_bytes(metadata)
    elif metadata is not None:
        (info / filename).write_text(metadata, encoding="utf-8")
    return info


def spellings(name: str) -> set[str]:
    """The same distribution name, spelt as people do: other case, other separators."""
    variants = {name, name.upper(), name.lower()}
    for separator in "-_.":
        variants.add(re.sub(r"[-_.]+", separator, name))
        variants.add(re.sub(r"[-_.]+", separator, name).upper())
    return variants


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if installed_version asks importlib.metadata instead of answering on its own."""

    def refuse(name: str) -> str | None:
        raise AssertionError(f"installed_version({name!r}) fell back to importlib.metadata")

    monkeypatch.setattr(manifold.graph.installed, "_importlib_version", refuse)


def on_sys_path(monkeypatch: pytest.MonkeyPatch, *entries: Path | str) -> None:
    monkeypatch.setattr(sys, "path", [str(entry) for entry in entries])


def assert_same(names: Iterable[str]) -> None:
    for name in names:
        assert installed_version(name) == importlib_version(name), name


# -- the running environment -------------------------------------------------------------------------------------


def installed_names() -> list[str]:
    names = {dist.metadata["Name"] for dist in importlib.metadata.distributions()}
    assert None not in names
    return sorted(names)


@pytest.mark.parametrize("name", installed_names())
def test_every_installed_distribution_in_every_spelling(name: str) -> None:
    expected = importlib_version(name)
    assert expected is not None
    for spelling in spellings(name):
        assert installed_version(spelling) == importlib_version(spelling) == expected, spelling


@pytest.mark.usefixtures("fast_only")
def test_installed_distributions_are_answered_without_importlib_metadata() -> None:
    for name in installed_names():
        assert installed_version(name) is not None


def test_a_fresh_process_does_not_import_importlib_metadata(tmp_path: Path) -> None:
    code = (
        "import sys, manifold.graph.installed as m; m.installed_version('packaging'); "
        "print(sorted(k for k in ('importlib.metadata','email','zipfile','csv') if k in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout == "[]\n"


# -- a synthetic sys.path: the search --------------------------------------------------------------------------


@pytest.mark.usefixtures("fast_only")
def test_the_first_folder_on_sys_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_dist(one, "demo-1.0.dist-info", "Name: demo\nVersion: 1.0\n")
    write_dist(two, "demo-2.0.dist-info", "Name: demo\nVersion: 2.0\n")
    on_sys_path(monkeypatch, tmp_path / "missing", one, two)
    assert installed_version("demo") == importlib_version("demo") == "1.0"
    on_sys_path(monkeypatch, two, one)
    assert installed_version("demo") == importlib_version("demo") == "2.0"


@pytest.mark.usefixtures("fast_only")
def test_any_spelling_of_the_name_finds_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(tmp_path, "Demo_Pkg-3.0.dist-info", "Name: Demo_Pkg\nVersion: 3.0\n")
    on_sys_path(monkeypatch, tmp_path)
    for name in ("demo-pkg", "demo.pkg", "DEMO_PKG", "Demo__-Pkg", "demo_pkg"):
        assert installed_version(name) == importlib_version(name) == "3.0", name
    for name in ("demopkg", "demo", "demo-pkg-3.0"):
        assert installed_version(name) is importlib_version(name) is None, name


@pytest.mark.usefixtures("fast_only")
def test_the_name_is_read_before_the_first_dash_of_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An installer escapes "-" in names; a folder that does not is found under its first word only.
    write_dist(tmp_path, "dashed-name-1.0.dist-info", "Name: dashed-name\nVersion: 1.0\n")
    write_dist(tmp_path, "plain.dist-info", "Name: plain\nVersion: 4\n")
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("dashed") == importlib_version("dashed") == "1.0"
    assert installed_version("dashed-name") is importlib_version("dashed-name") is None
    assert installed_version("plain") == importlib_version("plain") == "4"


def test_two_folders_for_one_name_in_one_entry_follow_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dist(tmp_path, "demo-1.0.dist-info", "Version: 1.0\n")
    write_dist(tmp_path, "DEMO-2.0.dist-info", "Version: 2.0\n")
    write_dist(tmp_path, "demo-3.0.egg-info", "Version: 3.0\n", filename="PKG-INFO")
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("demo") == importlib_version("demo")
    assert installed_version("demo") in {"1.0", "2.0", "3.0"}


@pytest.mark.usefixtures("fast_only")
def test_an_egg_info_folder_with_pkg_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(
        tmp_path,
        "old_style-0.5-py3.11.egg-info",
        "Metadata-Version: 1.1\nName: old-style\nVersion: 0.5\n",
        filename="PKG-INFO",
    )
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("old-style") == importlib_version("old-style") == "0.5"


@pytest.mark.usefixtures("fast_only")
def test_an_egg_folder_on_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    egg = tmp_path / "Eggy.Thing-1.5-py3.11.egg"
    write_dist(egg, "EGG-INFO", "Name: Eggy.Thing\nVersion: 1.5\n", filename="PKG-INFO")
    write_dist(egg, "inner-2.0.dist-info", "Name: inner\nVersion: 2.0\n")
    on_sys_path(monkeypatch, egg)
    # An egg matches the legacy form of the name: lower case, "-" as "_", "." kept.
    assert installed_version("eggy.thing") == importlib_version("eggy.thing") == "1.5"
    assert installed_version("EGGY.THING") == importlib_version("EGGY.THING") == "1.5"
    assert installed_version("eggy-thing") is importlib_version("eggy-thing") is None
    assert installed_version("inner") == importlib_version("inner") == "2.0"


@pytest.mark.usefixtures("fast_only")
def test_a_missing_name_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(tmp_path, "demo-1.0.dist-info", "Version: 1.0\n")
    (tmp_path / "not-a-dist").mkdir()
    on_sys_path(monkeypatch, tmp_path / "missing", tmp_path, tmp_path / "missing" / "deeper")
    assert installed_version("absent") is importlib_version("absent") is None
    assert installed_version("not-a-dist") is importlib_version("not-a-dist") is None


@pytest.mark.usefixtures("fast_only")
def test_an_empty_entry_is_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(tmp_path, "here-7.0.dist-info", "Name: here\nVersion: 7.0\n")
    monkeypatch.chdir(tmp_path)
    on_sys_path(monkeypatch, "")
    assert installed_version("here") == importlib_version("here") == "7.0"
    on_sys_path(monkeypatch, tmp_path / "missing")
    assert installed_version("here") is importlib_version("here") is None


def test_an_empty_name_is_refused_as_importlib_metadata_refuses_it() -> None:
    with pytest.raises(ValueError, match=r"^A distribution name is required\.$"):
        importlib.metadata.version("")
    with pytest.raises(ValueError, match=r"^A distribution name is required\.$"):
        installed_version("")


# -- a synthetic sys.path: what the fast path leaves to importlib.metadata ----------------------------------------


def zipped(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def test_a_zip_on_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = zipped(tmp_path / "bundle.zip", {"zipped-1.5.dist-info/METADATA": "Name: zipped\nVersion: 1.5\n"})
    write_dist(tmp_path / "plain", "zipped-2.0.dist-info", "Name: zipped\nVersion: 2.0\n")
    on_sys_path(monkeypatch, archive, tmp_path / "plain")
    assert installed_version("zipped") == importlib_version("zipped") == "1.5"
    on_sys_path(monkeypatch, tmp_path / "plain", archive)
    assert installed_version("zipped") == importlib_version("zipped") == "2.0"
    assert installed_version("absent") is importlib_version("absent") is None


def test_a_file_that_is_not_a_zip_on_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt").write_text("not a zip\n", encoding="utf-8")
    write_dist(tmp_path / "plain", "demo-1.0.dist-info", "Version: 1.0\n")
    on_sys_path(monkeypatch, tmp_path / "notes.txt", tmp_path / "plain")
    assert installed_version("demo") == importlib_version("demo") == "1.0"


def test_an_egg_info_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flat-0.1.egg-info").write_text("Metadata-Version: 1.0\nName: flat\nVersion: 0.1\n", encoding="utf-8")
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("flat") == importlib_version("flat") == "0.1"


def test_the_first_match_decides_even_without_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(tmp_path / "one", "demo-1.0.dist-info", None)
    write_dist(tmp_path / "two", "demo-2.0.dist-info", "Version: 2.0\n")
    on_sys_path(monkeypatch, tmp_path / "one", tmp_path / "two")
    assert installed_version("demo") == importlib_version("demo")


def test_metadata_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dist(tmp_path, "latin-1.0.dist-info", "Name: latin\nAuthor: Jos\xe9\nVersion: 1.0\n".encode("latin-1"))
    on_sys_path(monkeypatch, tmp_path)
    with pytest.raises(UnicodeDecodeError):
        importlib.metadata.version("latin")
    with pytest.raises(UnicodeDecodeError):
        installed_version("latin")


ANY_NAME = importlib.metadata.DistributionFinder.Context()


class OtherFinder(importlib.metadata.DistributionFinder):
    """A distribution finder that is not PathFinder: it knows one metadata folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context = ANY_NAME
    ) -> Iterator[importlib.metadata.Distribution]:
        if context.name == "demo":
            yield importlib.metadata.Distribution.at(self.folder)


def test_another_distribution_finder_is_asked_in_its_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = write_dist(tmp_path / "elsewhere", "demo-9.0.dist-info", "Version: 9.0\n")
    write_dist(tmp_path / "plain", "demo-1.0.dist-info", "Version: 1.0\n")
    on_sys_path(monkeypatch, tmp_path / "plain")
    monkeypatch.setattr(sys, "meta_path", [OtherFinder(other), *sys.meta_path])
    assert installed_version("demo") == importlib_version("demo") == "9.0"
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path[1:], OtherFinder(other)])
    assert installed_version("demo") == importlib_version("demo") == "1.0"


def test_no_distribution_finder_finds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What importlib_metadata (the backport) does on import: it deletes PathFinder.find_distributions.
    write_dist(tmp_path, "demo-1.0.dist-info", "Version: 1.0\n")
    on_sys_path(monkeypatch, tmp_path)
    monkeypatch.delattr(PathFinder, "find_distributions")
    assert installed_version("demo") is importlib_version("demo") is None


def test_a_distribution_without_a_version_is_none_and_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dist(tmp_path / "bare", "bare-1.0.dist-info", None)
    write_dist(tmp_path / "body", "body-1.0.dist-info", "Name: body\n\nVersion: 9\n")
    on_sys_path(monkeypatch, tmp_path / "bare", tmp_path / "body")
    for name in ("bare", "body"):
        importlib.invalidate_caches()
        if sys.version_info >= (3, 12):
            with pytest.warns(DeprecationWarning, match=rf"^{re.escape(IMPLICIT_NONE)}$"):
                assert importlib.metadata.version(name) is None
        else:
            assert importlib.metadata.version(name) is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert installed_version(name) is None


# -- the Version header -----------------------------------------------------------------------------------------

HEADERS: dict[str, tuple[str | bytes, str | None]] = {
    "folded fields, then a body": (
        "Metadata-Version: 2.1\nName: demo\nSummary: one\n  two\n\tthree\nVersion: 1.2\nLicense: MIT\n"
        "  and more\n\nVersion: 9\n",
        "1.2",
    ),
    "only in the body": ("Name: demo\n\nVersion: 9\n", None),
    "the first of two": ("version: 3.0\nVersion: 4.0\n", "3.0"),
    "spaces around": ("Name: demo\nVersion:\t 1.0  \n", "1.0  "),
    "empty": ("Name: demo\nVersion:\nSummary: x\n", ""),
    "CRLF": (b"Name: demo\r\nVersion: 1.0\r\n\r\nVersion: 9\r\n", "1.0"),
    "CR": (b"Name: demo\rVersion: 1.1\r\rVersion: 9\r", "1.1"),
    "no final newline": ("Name: demo\nVersion: 6", "6"),
    "Unix From lines": ("From someone\nName: demo\nFrom x\nVersion: 2.0\nFrom y\n", "2.0"),
    # email keeps the fold; importlib.metadata's Message then dedents it with eight spaces prepended
    "a folded Version": ("Name: demo\nVersion: 1.0\n  folded\n", "      1.0\nfolded"),
    "a line that is not a field ends the block": ("Summary : x\nVersion: 1.0\n", None),
    "a field without a name": (":bad\n  more\nVersion: 7\n", "7"),
    "a first line that is a continuation": (" lost\nVersion: 8\n", "8"),
    "a byte order mark": ("\ufeffName: demo\nVersion: 1.0\n", None),
    "a form feed in a value": ("Summary: a\x0cb c\nVersion: 1.3\n", "1.3"),
    "a field name with punctuation": ("X-Weird_Name.1!: y\nVersion: 1.4\n", "1.4"),
}


@pytest.mark.parametrize("text", HEADERS.values(), ids=HEADERS.keys())
def test_the_version_header(
    text: tuple[str | bytes, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata, expected = text
    write_dist(tmp_path, "demo-0.dist-info", metadata)
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("demo") == importlib_version("demo") == expected


@pytest.mark.usefixtures("fast_only")
def test_an_empty_metadata_gives_way_to_pkg_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = write_dist(tmp_path, "demo-0.dist-info", "")
    (info / "PKG-INFO").write_text("Name: demo\nVersion: 5\n", encoding="utf-8")
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("demo") == importlib_version("demo") == "5"


@pytest.mark.parametrize("name", ["folded fields, then a body", "CRLF", "Unix From lines", "a field without a name"])
@pytest.mark.usefixtures("fast_only")
def test_plain_headers_are_read_without_importlib_metadata(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata, expected = HEADERS[name]
    write_dist(tmp_path, "demo-0.dist-info", metadata)
    on_sys_path(monkeypatch, tmp_path)
    assert installed_version("demo") == expected


# -- property: any names, any spellings ------------------------------------------------------------------------

NAME = st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=12)
VERSION = st.text(alphabet="0123456789.abrcpost+!", min_size=1, max_size=10)


def respell(name: str, data: st.DataObject) -> str:
    """``name`` with each letter's case and each separator redrawn."""
    chars = []
    for char in name:
        if char in "-_.":
            chars.append(data.draw(st.sampled_from(["-", "_", ".", "--", "_.", char])))
        else:
            chars.append(data.draw(st.sampled_from([char.lower(), char.upper()])))
    return "".join(chars)


@given(dists=st.lists(st.tuples(NAME, VERSION), min_size=1, max_size=5), data=st.data())
def test_any_distribution_name_in_any_spelling(
    dists: list[tuple[str, str]], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    for name, version in dists:
        if not (folder / f"{name}-{version}.dist-info").exists():
            write_dist(
                folder, f"{name}-{version}.dist-info", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            )
    lookups = [respell(name, data) for name, _ in dists] + [data.draw(NAME)]
    with pytest.MonkeyPatch.context() as monkeypatch:
        on_sys_path(monkeypatch, folder.parent / "missing", folder)
        assert_same(lookups)
