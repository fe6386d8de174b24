"""Plugin archives: zip files checked against safety rules and their hash list before anything in them is used.

An archive (``.mfz``, or ``.zip``) holds a plugin folder or a bundle folder, and a hash list,
``MANIFOLD-HASHES``, with the SHA-256 of every other file in it, one ``<sha256>  <name>`` line each
(the format of ``sha256sum``), sorted by name. Reading an archive checks first the entries (their
names, kinds and sizes: no ``..``, absolute names, links, duplicates, encryption or zip bombs) and
then the content of every file against the list; any problem refuses the whole archive. Writing one
is packing's job (``manifold.tools.pack``); the rules both sides share (entry names, the hash-list
line) are stated here once.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
from typing import TYPE_CHECKING, TypeGuard

from manifold._values import value_type

if TYPE_CHECKING:
    import zipfile
    from importlib.resources.abc import Traversable

    from manifold.manifest.diagnostics import Diagnostic

# zipfile, hashlib and zlib are imported by the functions that read or write archives: a host
# whose plugins are all in folders never pays for them (~25 ms together at start-up); nor for the
# diagnostics and the words of messages, imported by the checks that make them.

from manifold.codes import ArchiveCode, DiagnosticCode
from manifold.errors import ArchiveError

__all__ = [
    "ARCHIVE_SUFFIXES",
    "DEFAULT_LIMITS",
    "HASHES_NAME",
    "ArchiveError",
    "ArchiveLimits",
    "check_unchanged",
    "entry_name_problem",
    "file_sha256",
    "hash_line",
    "is_archive_folder",
    "is_archive_name",
    "open_archive",
    "verify_archive",
]

HASHES_NAME = "MANIFOLD-HASHES"
ARCHIVE_SUFFIXES = (".mfz", ".zip")
"""The diagnostic codes of a refused archive; a plugin record of one has the code as its reason."""

_MiB = 1 << 20
_CHUNK = 1 << 16
_CHECKED = "_manifold_checked"  # on an archive open_archive checked: (its name, the stamp and sha256 of the file)
_HASH_SEPARATOR = "  "  # sha256sum's: two spaces between the hash and the name


@functools.cache
def _hash_line() -> re.Pattern[str]:
    return re.compile(rf"([0-9a-f]{{64}}){_HASH_SEPARATOR}(.+)")


@functools.cache
def _drive() -> re.Pattern[str]:
    return re.compile(r"[A-Za-z]:")


@value_type
class ArchiveLimits:
    """How big an archive may be once unpacked; an archive beyond a limit is refused as a possible zip bomb.

    ``max_ratio`` (unpacked size / packed size of one entry) applies to entries of at least
    ``ratio_min_size`` bytes unpacked: smaller ones cannot do harm, and small repetitive files
    legitimately compress well.
    """

    max_entries: int = 10_000
    max_entry_size: int = 64 * _MiB
    max_total_size: int = 256 * _MiB
    max_ratio: float = 100.0
    ratio_min_size: int = _MiB


DEFAULT_LIMITS = ArchiveLimits()


def is_archive_name(name: str) -> bool:
    """Whether a file of this name is read as a plugin archive (``.mfz`` or ``.zip``)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def open_archive(
    path: str | os.PathLike[str], *, name: str | None = None, limits: ArchiveLimits = DEFAULT_LIMITS
) -> zipfile.Path:
    """The root folder of the archive at ``path`` (named ``name`` in messages), once every check passed.

    Every entry is read and hashed first; raises ArchiveError with all the problems found, and
    then nothing of the archive has been used. The folder reads through the archive file opened
    for the checks; ``check_unchanged`` tells whether the file at ``path`` is still the one checked.
    """
    import zipfile

    display = os.fspath(path) if name is None else name
    archive, problems, stamp = _check(path, display, limits)
    if problems:
        if archive is not None:
            archive.close()
        raise ArchiveError(display, problems)
    assert archive is not None
    digest = _open_file_sha256(archive)
    root = zipfile.Path(archive)
    setattr(root.root, _CHECKED, [display, stamp, digest])
    return root


def check_unchanged(folder: Traversable) -> None:
    """Raise ArchiveError if ``folder`` is in an archive whose file changed since ``open_archive`` checked it.

    Code is imported from the file itself (zipimport), later than the checks: a plugin whose archive
    was replaced or rewritten meanwhile must not run. The file's stamp (device, inode, size, modification
    and change times) is compared first; when it differs (even a rewrite that put the modification time
    back changes the change time), the file is hashed again and must be the very file checked. Any
    other folder passes.
    """
    if not is_archive_folder(folder):
        return
    checked = getattr(folder.root, _CHECKED, None)
    if checked is None or folder.root.filename is None:
        return
    display, stamp, digest = checked
    try:
        now = _stamp(os.stat(folder.root.filename))
    except OSError:
        now = None
    if now == stamp:
        return
    try:
        same = now is not None and digest is not None and file_sha256(folder.root.filename) == digest
    except OSError:
        same = False
    if not same:
        from manifold.manifest.diagnostics import Diagnostic

        message = "changed since it was checked; read it again (rescan) before using it"
        raise ArchiveError(display, [Diagnostic("error", "integrity", message, display)])
    checked[1] = now  # the same bytes (touched, or copied back): no need to hash them again


def is_archive_folder(folder: object) -> TypeGuard[zipfile.Path]:
    """Whether ``folder`` is a folder inside a zip archive (``zipfile.Path``); never imports zipfile."""
    zipfile = sys.modules.get("zipfile")  # no archive was opened before zipfile was imported
    return zipfile is not None and isinstance(folder, zipfile.Path)


def verify_archive(
    path: str | os.PathLike[str], *, name: str | None = None, limits: ArchiveLimits = DEFAULT_LIMITS
) -> tuple[Diagnostic, ...]:
    """Every problem of the archive at ``path``: safety rules and hash list; ``()`` when it is sound."""
    display = os.fspath(path) if name is None else name
    archive, problems, _ = _check(path, display, limits)
    if archive is not None:
        archive.close()
    return tuple(problems)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a whole file, in hex (the one hash of an archive to publish and check)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_line(sha256: str, name: str) -> str:
    """One line of ``MANIFOLD-HASHES``: ``<sha256>  <name>`` and a newline, the line the checks read back."""
    return f"{sha256}{_HASH_SEPARATOR}{name}\n"


# -- the checks ------------------------------------------------------------------------------------


def _check(
    path: str | os.PathLike[str], display: str, limits: ArchiveLimits
) -> tuple[zipfile.ZipFile | None, list[Diagnostic], tuple[int, int, int, int, int] | None]:
    """The open archive, its problems, and the stamp of the file as it was when the checks began."""
    import zipfile

    from manifold.manifest.diagnostics import Diagnostic

    def problem(code: DiagnosticCode, message: str) -> Diagnostic:
        return Diagnostic("error", code, message, display)

    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        return None, [problem("read-error", "cannot read the archive: no such file")], None
    except IsADirectoryError:
        return None, [problem("bad-archive", "not a zip archive but a folder")], None
    except OSError as e:
        return None, [problem("read-error", f"cannot read the archive: {e.strerror or e}")], None
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as e:
        return None, [problem("bad-archive", f"not a zip archive ({e})")], None
    stamp = _stamp(os.fstat(archive.fp.fileno())) if archive.fp is not None else None
    problems = [problem(code, message) for code, message in _entry_problems(archive.infolist(), limits)]
    if not problems:  # only an archive whose entries are safe is read at all
        problems = [problem("integrity", message) for message in _hash_problems(archive, limits)]
    return archive, problems, stamp


def _entry_problems(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> list[tuple[ArchiveCode, str]]:
    """Unsafe entries: (code, message) pairs, each message starting with the entry's name."""
    import zipfile

    from manifold.manifest._words import show

    if len(infos) > limits.max_entries:
        return [("unsafe-archive", f"holds {len(infos)} entries, more than the limit of {limits.max_entries}")]
    found: list[tuple[ArchiveCode, str]] = []

    def unsafe(info: zipfile.ZipInfo, message: str) -> None:
        found.append(("unsafe-archive", f"{show(info.orig_filename, limit=120)}: {message}"))

    seen: set[str] = set()
    files: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        reason = "a NUL character in the name" if info.orig_filename != name else entry_name_problem(name)
        if reason is not None:
            unsafe(info, reason)
            continue
        if name in seen:
            unsafe(info, "appears more than once in the archive")
            continue
        seen.add(name)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if stat.S_ISLNK(mode):
            unsafe(info, "is a symbolic link; an archive holds regular files and folders only")
            continue
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            unsafe(info, "is not a regular file or folder")
            continue
        if info.flag_bits & 0x1:
            unsafe(info, "is encrypted; an archive must be readable without a password")
            continue
        if info.is_dir():
            if info.file_size:
                unsafe(info, "is a folder entry with content")
            continue
        files.add(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            unsafe(info, f"uses compression method {info.compress_type}; only stored and deflated entries can be read")
        if info.file_size > limits.max_entry_size:
            unsafe(info, f"unpacks to {info.file_size} bytes, more than the limit of {limits.max_entry_size}")
        elif info.file_size >= limits.ratio_min_size:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                unsafe(
                    info,
                    f"unpacks to {ratio:.0f} times its packed size ({info.file_size} bytes from "
                    f"{info.compress_size}), more than the limit of {limits.max_ratio:g}",
                )
        total += info.file_size
    for name in sorted(files):
        parent = name.rpartition("/")[0]
        while parent:
            if parent in files:
                found.append(("unsafe-archive", f"{show(parent)}: is both a file and the folder of {show(name)}"))
                break
            parent = parent.rpartition("/")[0]
    if total > limits.max_total_size:
        found.append(
            (
                "unsafe-archive",
                f"its files unpack to {total} bytes in all, more than the limit of {limits.max_total_size}",
            )
        )
    return found


def entry_name_problem(name: str) -> str | None:
    """Why an entry name is unsafe, or None: it must be a plain relative ``/``-separated path."""
    if not name:
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "a control character in the name"
    if "\\" in name:
        return "a backslash in the name; archive names are separated by /"
    if name.startswith("/") or _drive().match(name):
        return "an absolute name; names in an archive are relative"
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        return "a name with .., which would leave the archive"
    if any(part in ("", ".") for part in parts):
        return "an empty or . part in the name"
    return None


def _hash_problems(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[str]:
    """Files that are missing from, extra to, or different from the hash list: one message each."""
    import zipfile
    import zlib

    listing = archive.NameToInfo.get(HASHES_NAME)
    if listing is None or listing.is_dir():
        return [f"no {HASHES_NAME}: the archive carries no hash list, so its files cannot be checked"]
    try:
        text = archive.read(listing).decode("utf-8")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, UnicodeDecodeError) as e:
        return [f"{HASHES_NAME}: cannot be read ({e})"]
    expected: dict[str, str] = {}
    problems: list[str] = []
    lines = text.split("\n")  # "\n" only: an entry name may hold other line ends (U+2028, U+0085...)
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        match = _hash_line().fullmatch(line)
        if match is None:
            problems.append(f'{HASHES_NAME}: line {number} is not "<sha256>  <name>"')
        elif match[2] in expected:
            problems.append(f"{HASHES_NAME}: line {number} lists {match[2]} a second time")
        else:
            expected[match[2]] = match[1]
    if problems:
        return problems
    files = {i.filename: i for i in archive.infolist() if not i.is_dir() and i.filename != HASHES_NAME}
    for name in sorted(expected.keys() - files.keys()):
        problems.append(f"{name}: listed in {HASHES_NAME} but missing from the archive")
    for name in sorted(files.keys() - expected.keys()):
        problems.append(f"{name}: not listed in {HASHES_NAME}; it was added after packing")
    for name in sorted(files.keys() & expected.keys()):
        try:
            actual = _entry_sha256(archive, files[name], limits)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
            problems.append(f"{name}: damaged, its data cannot be read ({e})")
            continue
        if actual != expected[name]:
            said = expected[name]
            problems.append(
                f"{name}: changed since packing (its sha256 is {actual[:16]}…, {HASHES_NAME} says {said[:16]}…)"
            )
    return problems


def _stamp(status: os.stat_result) -> tuple[int, int, int, int, int]:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _open_file_sha256(archive: zipfile.ZipFile) -> str | None:
    """The SHA-256 of the file ``archive`` was read from, through its open descriptor (so it is the very
    file the checks read, whatever is at its path now); None when it is not a file."""
    import hashlib

    try:
        descriptor = archive.fp.fileno() if archive.fp is not None else None
    except (OSError, AttributeError, ValueError):
        return None
    if descriptor is None:
        return None
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(descriptor, _CHUNK * 16, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def _entry_sha256(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits) -> str:
    import hashlib
    import zipfile

    digest = hashlib.sha256()
    size = 0
    with archive.open(info) as entry:
        while chunk := entry.read(_CHUNK):
            size += len(chunk)
            if size > min(info.file_size, limits.max_entry_size):  # zipfile stops at file_size; never trust it
                raise zipfile.BadZipFile(f"unpacks to more than its recorded size {info.file_size}")
            digest.update(chunk)
    return digest.hexdigest()
