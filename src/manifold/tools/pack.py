"""Packing: a plugin folder or a bundle into one reproducible archive, validated first and written atomically."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from manifold._files import write_atomic
from manifold.errors import PackError, UsageError
from manifold.manifest.bundle import BUNDLE_NAME, is_bundle_file
from manifold.manifest.diagnostics import Diagnostic
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
from manifold.sources.locations import MANIFEST_NAME

__all__ = ["Kind", "PackError", "Packed", "hash_list", "is_excluded", "pack", "write_archive"]

Kind = Literal["plugin", "bundle"]
ARCHIVE_SUFFIX = ".mfz"
_EXCLUDED_NAMES = frozenset({"__pycache__", "Thumbs.db", "desktop.ini"})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info", "~", ".swp")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_FILE_MODE = 0o100644
_FOLDER_MODE = 0o040755
_MSDOS_FOLDER = 0x10
_UNIX = 3  # ZipInfo.create_system: the high 16 bits of external_attr are a Unix mode


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

    ``output`` defaults to ``<id>-<version>.mfz`` in the current folder. The source is validated
    first (PackError with its errors when it is invalid; nothing is written). A plugin folder is
    packed whole; a bundle, as its manifest (stored as ``bundle.toml``) and its members' folders.
    Hidden files and folders, ``__pycache__`` and bytecode are left out; a symbolic link is a
    PackError. The archive is written to a temporary file next to ``output``, checked like any
    archive that is loaded (``limits``), then renamed: an interrupted pack leaves no ``output``.
    Raises UsageError when ``source`` is none of those.
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
    target = Path(output) if output is not None else Path(f"{plugin_id}-{version}{ARCHIVE_SUFFIX}")
    if not target.parent.is_dir():
        raise UsageError(f"{target}: the folder {target.parent} does not exist")
    if kind == "plugin":
        files = _collect(folder, folder, exclude=target)
    else:
        files = {}
        for member in data["plugins"]:
            files.update(_collect(folder, folder.joinpath(*_parts(member["path"])), exclude=target))
        files[BUNDLE_NAME] = manifest.read_bytes()
    digest = _write(target, files, limits)
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


def _collect(base: Path, folder: Path, *, exclude: Path) -> dict[str, bytes]:
    """Every file under ``folder`` that goes into an archive, by its ``/``-separated name relative to ``base``."""
    found: dict[str, bytes] = {}
    links: list[Diagnostic] = []
    skip = exclude.resolve()

    def walk(current: Path) -> None:
        with os.scandir(current) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            path = Path(entry.path)
            if is_excluded(entry.name):
                continue
            if entry.is_symlink():
                message = "is a symbolic link; replace it with the file or folder it points to"
                links.append(Diagnostic("error", "symlink", message, str(path)))
            elif entry.is_dir():
                walk(path)
            elif entry.is_file() and path.resolve() != skip:
                found[path.relative_to(base).as_posix()] = path.read_bytes()

    walk(folder)
    if links:
        raise PackError(f"{folder} holds symbolic links; nothing was packed", links)
    return found


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

    write_atomic(target, out.getvalue(), check=check)
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
        reason = entry_name_problem(name) or ("a reserved name" if name == HASHES_NAME else None)
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
