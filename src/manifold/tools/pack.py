"""Packing: a plugin folder or a bundle into one reproducible archive, validated first and written atomically."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from manifold._files import write_atomic
from manifold.codes import DiagnosticCode
from manifold.errors import PackError, UsageError
from manifold.manifest._words import show
from manifold.manifest.bundle import BUNDLE_NAME, is_bundle_file
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.names import MANIFEST_NAME
from manifold.sources.archives import (
    DEFAULT_LIMITS,
    HASHES_NAME,
    ArchiveLimits,
    entry_name_problem,
    file_sha256,
    hash_line,
    is_archive_name,
    verify_archive,
)

__all__ = ["Kind", "PackError", "Packed", "hash_list", "is_excluded", "name_problem", "pack", "write_archive"]

Kind = Literal["plugin", "bundle"]
ARCHIVE_SUFFIX = ".mfz"
_EXCLUDED_NAMES = frozenset({"__pycache__", "Thumbs.db", "desktop.ini"})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info", "~", ".swp")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_FILE_MODE = 0o100644
_FOLDER_MODE = 0o040755
_MSDOS_FOLDER = 0x10
_UNIX = 3  # ZipInfo.create_system: the high 16 bits of external_attr are a Unix mode
_SEPARATORS = frozenset("\x85\u2028\u2029")  # str.splitlines() ends a line there: the hash list is read by lines
_LINK = "is a symbolic link; replace it with the file or folder it points to"


@dataclass(frozen=True, slots=True)
class Packed:
    """What ``pack`` wrote: the archive, whose plugin or bundle it holds, its files and its SHA-256."""

    archive: Path
    id: str
    version: str
    kind: Kind
    files: tuple[str, ...]
    sha256: str
    warnings: tuple[Diagnostic, ...] = ()


def is_excluded(name: str) -> bool:
    """Whether a file or folder of this name stays out of archives: hidden names (``.git``, ``.venv``,
    ``.DS_Store``, ...), ``__pycache__``, compiled bytecode, ``*.egg-info`` and editor backups."""
    return name.startswith(".") or name in _EXCLUDED_NAMES or name.endswith(_EXCLUDED_SUFFIXES)


def pack(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Packed:
    """Pack a plugin folder, a bundle file or a bundle folder into the archive ``output``.

    ``output`` defaults to ``<id>-<version>.mfz`` in the current folder; an existing folder as
    ``output`` gets the archive under that name, and missing folders of ``output`` are created. The
    source is validated first (PackError with its errors when it is invalid; nothing is written). A
    plugin folder is packed whole; a bundle, as its manifest (stored as ``bundle.toml``) and its
    members' folders, which must be inside the bundle's folder. Hidden files and folders,
    ``__pycache__`` and bytecode are left out. A symbolic link, a file that is not a regular file,
    cannot be read, is beyond ``limits`` or has a name no archive entry may have, and an archive that
    cannot be written, are a PackError with one diagnostic each; nothing is written. The archive is
    written to a temporary file next to ``output``, checked like any archive that is loaded
    (``limits``), then renamed: an interrupted pack leaves no ``output``. Raises UsageError when
    ``source`` is none of those.
    """
    from manifold.manifest.toml import read_toml
    from manifold.validation import validate

    given = Path(source)
    kind, manifest, folder = _kind(given)
    report = validate([folder if kind == "plugin" else manifest])  # exactly what the archive will hold
    if not report.ok:
        raise PackError(f"{given} is not valid; nothing was packed", report.errors)
    data = read_toml(manifest, file=str(manifest)).data
    assert data is not None  # validate() read the same file
    identity = data["bundle" if kind == "bundle" else "plugin"]
    plugin_id, version = str(identity["id"]), str(identity["version"])
    name = f"{plugin_id}-{version}{ARCHIVE_SUFFIX}"
    target = Path(output) if output is not None else Path(name)
    if target.is_dir():  # like cp: into the folder, under the archive's own name
        target /= name
    collector = _Collector(folder, exclude=target, limits=limits)
    if kind == "plugin":
        collector.walk(folder)
    else:
        for member in data["plugins"]:
            collector.member(str(member["path"]))
        collector.add(BUNDLE_NAME, manifest)
    if collector.problems:
        raise PackError(f"{given} holds files that cannot be packed; nothing was packed", collector.problems)
    files = collector.files
    try:
        digest = _write(target, files, limits)
    except OSError as e:
        blocked = next((p for p in target.parents if p.exists() or p.is_symlink()), None)  # the nearest one there
        reason = f"{blocked} is not a folder" if blocked is not None and not blocked.is_dir() else e.strerror or e
        message = f"cannot write the archive: {reason}"
        raise PackError(
            f"{target}: {message}; nothing was packed", [Diagnostic("error", "write-error", message, str(target))]
        ) from e
    return Packed(target, plugin_id, version, kind, tuple(sorted(files)), digest, report.warnings)


def _kind(given: Path) -> tuple[Kind, Path, Path]:
    """``("plugin" | "bundle", manifest file, folder)`` of what is to be packed."""
    if given.is_dir():
        if (given / MANIFEST_NAME).is_file():
            return "plugin", given / MANIFEST_NAME, given
        if (given / BUNDLE_NAME).is_file():
            return "bundle", given / BUNDLE_NAME, given
        raise UsageError(f"{given}: holds neither {MANIFEST_NAME} nor {BUNDLE_NAME}; give a plugin or bundle folder")
    if not given.is_file():
        raise UsageError(f"{given}: no such file or folder")
    if is_archive_name(given.name):
        raise UsageError(f"{given}: is an archive already; give the plugin or bundle folder it was packed from")
    if given.name == MANIFEST_NAME:
        return "plugin", given, given.parent
    if is_bundle_file(given):
        return "bundle", given, given.parent
    raise UsageError(f"{given}: not a {MANIFEST_NAME} or a bundle manifest; give a plugin folder or a bundle")


def _parts(relative: str) -> list[str]:
    return [part for part in relative.replace("\\", "/").split("/") if part not in ("", ".")]


def name_problem(name: str) -> str | None:
    """Why a file of this ``/``-separated name cannot go into an archive, or None.

    The rules of loading (``entry_name_problem``), the hash list's own name at the root, and what
    the hash list cannot carry on one line or in UTF-8: C1 control characters, line and paragraph
    separators, names that are not valid UTF-8.
    """
    if name == HASHES_NAME:
        return f"{HASHES_NAME} is the name of the archive's hash list; rename the file"
    reason = entry_name_problem(name)
    if reason is not None:
        return reason
    if any(0x80 <= ord(c) < 0xA0 or c in _SEPARATORS for c in name):
        return "a control character or a line separator in the name"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "a name that is not valid UTF-8"
    return None


class _Collector:
    """The files that go into an archive, by their ``/``-separated names relative to ``base``, and the
    problems found on the way: every one of them, none read from outside ``base``."""

    def __init__(self, base: Path, *, exclude: Path, limits: ArchiveLimits) -> None:
        self.base = base
        self.real_base = base.resolve()
        self.skip = exclude.resolve()
        self.limits = limits
        self.files: dict[str, bytes] = {}
        self.problems: list[Diagnostic] = []
        self.total = 0

    def problem(self, code: DiagnosticCode, message: str, path: Path) -> None:
        self.problems.append(Diagnostic("error", code, message, str(path)))

    def member(self, relative: str) -> None:
        """A bundle member's folder: a real folder inside ``base``, reached without a symbolic link."""
        path = self.base
        for part in _parts(relative):
            path = path / part
            if path.is_symlink():
                self.problem("symlink", _LINK, path)
                return
        if not path.resolve().is_relative_to(self.real_base):
            self.problem("path-escape", "is outside the bundle's folder; a member must be inside it", path)
            return
        self.walk(path)

    def walk(self, folder: Path) -> None:
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as e:
            self.problem("read-error", f"cannot be read: {e.strerror or e}", folder)
            return
        for entry in entries:
            path = Path(entry.path)
            if is_excluded(entry.name):
                continue
            name = path.relative_to(self.base).as_posix()
            if entry.is_symlink():
                self.problem("symlink", _LINK, path)
            elif (reason := name_problem(name)) is not None:
                self.problem("unpackable", f"cannot be packed: {reason}", path)
            elif entry.is_dir(follow_symlinks=False):
                self.walk(path)
            elif not entry.is_file(follow_symlinks=False):
                self.problem("unpackable", "is not a regular file or folder (a pipe, socket or device)", path)
            elif path.resolve() != self.skip:
                self.add(name, path)

    def add(self, name: str, path: Path) -> None:
        """Read one file, never through a link, never more than the limits let an archive hold."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
            with open(fd, "rb") as file:
                status = os.fstat(file.fileno())
                if not stat.S_ISREG(status.st_mode):
                    self.problem("unpackable", "is not a regular file or folder (a pipe, socket or device)", path)
                    return
                if status.st_size > self.limits.max_entry_size:
                    message = (
                        f"{show(name)}: is {status.st_size} bytes, more than the limit of {self.limits.max_entry_size}"
                    )
                    self.problem("unsafe-archive", message, path)
                    return
                content = file.read(self.limits.max_entry_size + 1)
        except OSError as e:
            self.problem("read-error", f"cannot be read: {e.strerror or e}", path)
            return
        if len(content) > self.limits.max_entry_size:  # it grew since fstat
            message = f"{show(name)}: is more than the limit of {self.limits.max_entry_size} bytes"
            self.problem("unsafe-archive", message, path)
            return
        self.total += len(content)
        if self.total > self.limits.max_total_size:
            if not any(p.code == "unsafe-archive" and p.file == str(self.base) for p in self.problems):
                message = f"its files are more than the limit of {self.limits.max_total_size} bytes in all"
                self.problem("unsafe-archive", message, self.base)
            return
        self.files[name] = content


def _write(target: Path, files: dict[str, bytes], limits: ArchiveLimits) -> str:
    """Write the archive atomically, checked before it replaces ``target`` as a loaded one is; its SHA-256."""
    out = io.BytesIO()
    write_archive(out, files)
    digests: list[str] = []

    def check(temporary: Path) -> None:
        problems = verify_archive(temporary, name=str(target), limits=limits)
        if problems:
            raise PackError(f"{target} would be refused when loaded; nothing was packed", problems)
        digests.append(file_sha256(temporary))

    write_atomic(target, out.getvalue(), parents=True, check=check)
    return digests[0]


# -- writing an archive ----------------------------------------------------------------------------


def hash_list(files: Mapping[str, bytes]) -> bytes:
    """The ``MANIFOLD-HASHES`` text for ``files`` (name -> content): ``<sha256>  <name>`` lines, sorted."""
    import hashlib

    lines = (hash_line(hashlib.sha256(files[n]).hexdigest(), n) for n in sorted(files))
    return "".join(lines).encode("utf-8")


def write_archive(target: IO[bytes], files: Mapping[str, bytes]) -> None:
    """Write a reproducible archive of ``files`` (name -> content, ``/``-separated) and their hash list.

    The same files always give the same bytes: entries sorted by name, a folder entry for each
    folder, fixed timestamps (1980-01-01) and permissions (0644 files, 0755 folders), deflated
    at level 9, no comments and no extra fields.
    """
    import zipfile

    for name in files:
        reason = name_problem(name)
        if reason is None and name.endswith("/"):
            reason = "a folder's name"
        if reason is not None:
            raise ValueError(f"{name!r} cannot be a file in an archive: {reason}")
    entries: dict[str, bytes | None] = dict(files)
    entries[HASHES_NAME] = hash_list(files)
    for name in files:
        parts = name.split("/")[:-1]
        for end in range(1, len(parts) + 1):
            entries.setdefault("/".join(parts[:end]) + "/", None)
    with zipfile.ZipFile(target, "w") as archive:
        for name in sorted(entries):
            content = entries[name]
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = _UNIX
            if content is None:
                info.external_attr = (_FOLDER_MODE << 16) | _MSDOS_FOLDER
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, b"")
            else:
                info.external_attr = _FILE_MODE << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content, compresslevel=9)
