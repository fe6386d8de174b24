"""Finding manifests: a file or folder scanned for plugin folders, bundles and archives, each file with its stamp.

What a manifest file is found as (``ManifestLocation``), how a change to it is told (``Stamp``), and
reading many in forked processes (``map_manifests``); the sources a host names
(``manifold.sources.locations``) scan their folders here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from manifold._values import value_type
from manifold.errors import SourceError, UsageError
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits
from manifold.manifest.names import BUNDLE_NAME, MANIFEST_NAME
from manifold.sources.archives import (
    DEFAULT_LIMITS,
    ArchiveError,
    ArchiveLimits,
    is_archive_folder,
    is_archive_name,
    open_archive,
)

T = TypeVar("T")

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from manifold.manifest.diagnostics import Diagnostic
    from manifold.manifest.parsed import ParsedFile

# Diagnostics and the parsed file are made only when a manifest is read or refused (a warm start reads
# none): the functions that make them import them.

# manifold.manifest.read and manifold.manifest.bundle (which parse TOML) are imported where a manifest or a
# bundle is read: a scan of plugin folders does without.

__all__ = [
    "ManifestLocation",
    "PlainPlugin",
    "Stamp",
    "backing_file",
    "file_stamp",
    "find_manifests",
    "map_manifests",
    "plain_locations",
    "plain_plugins",
    "read_manifests",
    "scan",
]


Stamp = tuple[int, int, int, int]
"""``(size, mtime_ns, ctime_ns, inode)`` of a file: an edit changes it even when it keeps the size and puts the
modification time back (the change time cannot be put back), and so does a file replaced by another."""


@value_type
class ManifestLocation:
    """One manifest to read: its name for messages, the file itself, and the plugin folder it describes."""

    file: str
    source: Traversable
    root: Traversable
    stamp: Stamp | None = None
    """The ``Stamp`` of ``source`` when the scan that found it read them (a file on disk): what
    the manifest cache and change detection compare, without another ``stat``."""
    identity: tuple[int, int] | None = None
    """``(st_dev, st_ino)`` of ``source`` from the same ``stat``: what tells two paths of one file apart
    from two files."""
    parsed: ParsedFile | None = None
    """The manifest as read while the source was scanned: a bundle's members (``source`` is the bundle
    file) and a refused archive (``source`` is the archive) are known only by reading their file."""

    @property
    def file_stamp(self) -> Stamp | None:
        """The ``Stamp`` of ``source`` if it is the manifest's own file on disk, else None (never
        cached by file name and time: a bundle member is not its file's own content)."""
        if self.parsed is not None:
            return None
        return self.stamp if self.stamp is not None else file_stamp(self.source)

    def read(self, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS, *, build: bool = True) -> ParsedFile:
        """The manifest here, read and checked on its own (``parse_manifest``, which ``build`` is passed to),
        or as read during the scan.

        Never raises: what goes wrong is a diagnostic of this manifest."""
        if self.parsed is not None:
            return self.parsed
        try:
            from manifold.manifest.read import parse_manifest  # the reader: a warm start takes manifests from the cache

            return parse_manifest(self.source, file=self.file, root=self.root, limits=limits, build=build)
        except Exception as e:  # parse_manifest catches its own; this is the import, or a Traversable's fault
            from manifold.manifest.diagnostics import internal_error
            from manifold.manifest.parsed import ParsedFile

            return ParsedFile(self.file, self.root, (internal_error(e, self.file),))


def file_stamp(path: Any) -> Stamp | None:
    """The ``Stamp`` of a file on disk, or None when ``path`` is not one (or cannot be read)."""
    try:
        found = os.stat(path)
    except (TypeError, OSError, ValueError):
        return None
    return stamp_of(found)


def stamp_of(found: os.stat_result) -> Stamp:
    """The ``Stamp`` in a ``stat`` result."""
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


def backing_file(source: Traversable) -> str | os.PathLike[Any]:
    """The file on disk whose changes change the manifest at ``source`` (for modification stamps): the
    bundle file of a member, the archive of a manifest inside one, else ``source`` itself.

    Raises TypeError when the manifest is in no file on disk.
    """
    if is_archive_folder(source) and source.root.filename is not None:
        return source.root.filename
    if isinstance(source, os.PathLike):
        return source
    raise TypeError(f"{source!r} is not a file on disk")


def scan(
    root: Traversable, name: str, limits: ArchiveLimits, manifest_limits: ManifestLimits
) -> list[ManifestLocation]:
    """The manifests of a plugin or bundle folder, or of every such folder and archive in a drop-in folder.

    Raises SourceError when ``root`` itself cannot be read; a folder in it that cannot be read is a
    location refused with a ``read-error`` (never skipped in silence).
    """
    if isinstance(root, Path):  # a folder of plain plugin folders (the usual drop-in folder): the cheap scan
        plain = plain_plugins(os.fspath(root))
        if plain is not None:
            return plain_locations(root, name, plain)
    try:
        here = _plugins_in(root, name, manifest_limits)
        if here is not None:
            return here
        children = _children(root)
    except OSError as e:
        raise SourceError(f"{name}: cannot read the folder: {reason(e)}") from e
    found = []
    for child, is_dir in children:
        if child.name.startswith("."):
            continue
        child_name = f"{name}/{child.name}"
        try:
            if is_dir:
                found += _plugins_in(child, child_name, manifest_limits) or []
            elif is_archive_name(child.name) and child.is_file():
                found += scan_archive(child, child_name, limits, manifest_limits)
        except OSError as e:
            from manifold.manifest.diagnostics import Diagnostic

            what = "folder" if is_dir else "archive"
            message = f"cannot read the {what}: {reason(e)}"
            found.append(_refused(child, child_name, (Diagnostic("error", "read-error", message, child_name),)))
    return found


def reason(error: OSError) -> str:
    """The system's words for an OSError (``Permission denied``), without the path it names."""
    return error.strerror or type(error).__name__


def _children(root: Traversable) -> list[tuple[Traversable, bool]]:
    """The entries of a folder, by name, each with whether it is a folder (one scandir for a real folder)."""
    if isinstance(root, Path):
        with os.scandir(root) as entries:
            listed = sorted(entries, key=lambda e: e.name)
        return [(root / entry.name, _entry_is_dir(entry)) for entry in listed]
    return [(child, child.is_dir()) for child in sorted(root.iterdir(), key=lambda entry: entry.name)]


def _entry_is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return True  # cannot tell: looked into as a folder, which reports why it cannot be read


def _plugins_in(folder: Traversable, name: str, manifest_limits: ManifestLimits) -> list[ManifestLocation] | None:
    """The manifests of a plugin folder, a bundle folder (or a folder that is both); None for other folders.

    Raises OSError when the folder cannot be looked into (no permission to enter it)."""
    stamp = identity = None
    if isinstance(folder, Path):  # one stat each says whether it is there and what the cache compares
        base = os.fspath(folder)
        found = _regular_file(os.path.join(base, MANIFEST_NAME))
        bundle_file = os.path.join(base, BUNDLE_NAME)
        is_bundle = os.access(bundle_file, os.F_OK) and _regular_file(bundle_file) is not None
        is_plugin = found is not None
        if found is not None:
            stamp, identity = stamp_of(found), (found.st_dev, found.st_ino)
    else:
        is_plugin, is_bundle = folder.joinpath(MANIFEST_NAME).is_file(), folder.joinpath(BUNDLE_NAME).is_file()
    if not is_plugin and not is_bundle:
        return None
    manifest = [ManifestLocation(f"{name}/{MANIFEST_NAME}", folder.joinpath(MANIFEST_NAME), folder, stamp, identity)]
    bundle = (
        _bundle(folder.joinpath(BUNDLE_NAME), f"{name}/{BUNDLE_NAME}", folder, name, manifest_limits)
        if is_bundle
        else []
    )
    return (manifest if is_plugin else []) + bundle


PlainPlugin = tuple[str, int, int, int, int, int]
"""A plugin folder as ``plain_plugins`` finds it: its name in the folder scanned (``""``: that folder
itself), then its ``plugin.toml``'s ``Stamp`` and ``st_dev``."""


class _NotPlain(Exception):
    """A folder holds something ``scan`` reads that is not a plain plugin folder."""


def plain_plugins(folder: str) -> tuple[PlainPlugin, ...] | None:
    """The plugin folders ``scan`` finds in the folder on disk at ``folder`` (or that folder itself), in
    its order, cheaply: one ``scandir``, a ``stat`` of each folder's ``plugin.toml`` and ``bundle.toml``,
    plain strings. None when the folder holds anything else ``scan`` reads (a bundle, an archive, a
    folder that cannot be read) or cannot be read itself: ``scan`` says what it is."""
    try:
        itself = _plain_plugin(folder, "")
        if itself is not None:
            return (itself,)
        with os.scandir(folder) as entries:
            listed = sorted([(entry.name, entry.is_dir()) for entry in entries])
        found = []
        base, is_file, access, exists = os.path.join(folder, ""), stat.S_ISREG, os.access, os.F_OK
        for name, is_dir in listed:  # _plain_plugin, written out: this loop is most of a warm start's scan
            if name[0] == ".":
                continue
            if not is_dir:
                if is_archive_name(name):
                    return None
                continue
            plugin = base + name
            try:
                manifest = os.stat(plugin + _MANIFEST_END)
            except (FileNotFoundError, NotADirectoryError):
                manifest = None
            if access(plugin + _BUNDLE_END, exists) and _regular_file(plugin + _BUNDLE_END) is not None:
                return None
            if manifest is not None and is_file(manifest.st_mode):
                found.append(
                    (
                        name,
                        manifest.st_size,
                        manifest.st_mtime_ns,
                        manifest.st_ctime_ns,
                        manifest.st_ino,
                        manifest.st_dev,
                    )
                )
        return tuple(found)
    except (OSError, _NotPlain):
        return None


_MANIFEST_END, _BUNDLE_END = os.sep + MANIFEST_NAME, os.sep + BUNDLE_NAME


def _plain_plugin(folder: str, name: str) -> PlainPlugin | None:
    """A plain plugin folder's entry, None when ``folder`` holds no ``plugin.toml``; raises _NotPlain when it
    holds a ``bundle.toml``, OSError when that cannot be told (as ``_plugins_in``)."""
    try:
        found = os.stat(folder + _MANIFEST_END)
    except (FileNotFoundError, NotADirectoryError):
        found = None
    if os.access(folder + _BUNDLE_END, os.F_OK) and _regular_file(folder + _BUNDLE_END) is not None:
        raise _NotPlain(folder)  # (access: half the cost of a stat that fails, the usual case)
    if found is None or not stat.S_ISREG(found.st_mode):
        return None
    return name, found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino, found.st_dev


def plain_locations(root: Path, name: str, plain: Sequence[PlainPlugin]) -> list[ManifestLocation]:
    """The locations of the plugin folders ``plain_plugins`` found in ``root`` (named ``name`` in messages),
    as ``scan`` makes them, from the same ``stat`` of each manifest."""
    found = []
    for folder_name, size, mtime, ctime, inode, device in plain:
        folder, where = (root / folder_name, f"{name}/{folder_name}") if folder_name else (root, name)
        stamp = size, mtime, ctime, inode
        found.append(
            ManifestLocation(f"{where}/{MANIFEST_NAME}", folder / MANIFEST_NAME, folder, stamp, (device, inode))
        )
    return found


def _regular_file(path: str) -> os.stat_result | None:
    """The ``stat`` of a regular file at ``path``; None when there is none; OSError when it cannot be told."""
    try:
        found = os.stat(path)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    return found if stat.S_ISREG(found.st_mode) else None


def _bundle(
    file: Traversable, file_name: str, folder: Traversable, folder_name: str, manifest_limits: ManifestLimits
) -> list[ManifestLocation]:
    """One location per member of a bundle manifest, each already read (see ``manifold.manifest.bundle``)."""
    from manifold.manifest.bundle import read_bundle  # the bundle reader parses TOML: only for a bundle

    members = read_bundle(file, file=file_name, folder=folder, folder_name=folder_name, limits=manifest_limits)
    return [ManifestLocation(key, file, parsed.root, parsed=parsed) for key, parsed in members]


def scan_archive(
    file: Traversable, name: str, limits: ArchiveLimits, manifest_limits: ManifestLimits
) -> list[ManifestLocation]:
    """The manifests at the root of an archive once it passed its checks; else one refused location."""
    from manifold.manifest.diagnostics import Diagnostic, internal_error

    try:
        if not isinstance(file, Path):
            message = "an archive is read only from a file on disk, not from inside a package or another archive"
            raise ArchiveError(name, [Diagnostic("error", "bad-archive", message, name)])
        root = open_archive(file.absolute(), name=name, limits=limits)
        found = _plugins_in(root, name, manifest_limits)
    except ArchiveError as e:
        return [_refused(file, name, e.diagnostics)]
    except Exception as e:  # a failure inside manifold: this archive is refused, its neighbours are read
        return [_refused(file, name, (internal_error(e, name),))]
    if not found:
        message = f"holds neither {MANIFEST_NAME} nor {BUNDLE_NAME} at its root"
        return [_refused(file, name, (Diagnostic("error", "bad-archive", message, name),))]
    return found


def _refused(file: Traversable, name: str, diagnostics: tuple[Diagnostic, ...]) -> ManifestLocation:
    """An archive that is not read: a location whose manifest is only the reasons why."""
    from manifold.manifest.parsed import ParsedFile

    return ManifestLocation(name, file, file, parsed=ParsedFile(name, file, diagnostics))


def find_manifests(
    path: str | os.PathLike[str],
    *,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
) -> list[ManifestLocation]:
    """The manifests at ``path``: a manifest or bundle file, an archive, a plugin or bundle folder, or
    every plugin folder, bundle folder and archive in a drop-in folder.

    Raises UsageError when ``path`` does not exist, SourceError when it cannot be read.
    """
    given = Path(path)
    try:
        is_file, is_dir = given.is_file(), given.is_dir()
    except OSError as e:
        raise SourceError(f"{given}: cannot read it: {reason(e)}") from e
    if is_file:
        if is_archive_name(given.name):
            return scan_archive(given, str(given), limits, manifest_limits)
        from manifold.manifest.bundle import is_bundle_file

        if is_bundle_file(given, manifest_limits):
            parent = str(given.parent) if given.parent != Path() else ""
            return _bundle(given, str(given), given.parent, parent, manifest_limits)
        return [ManifestLocation(str(given), given, given.parent)]
    if not is_dir:
        raise UsageError(f"{path}: no such file or folder")
    return scan(given, str(given), limits, manifest_limits)


def read_manifests(
    locations: Sequence[ManifestLocation], limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS, jobs: int | None = None
) -> list[ParsedFile]:
    """Each manifest at ``locations`` read and checked on its own (``ManifestLocation.read``), in forked
    processes when there are hundreds (``map_manifests``), which send them back marshalled
    (``ParsedFile.to_wire``), their manifests built here."""
    from manifold.manifest.parsed import ParsedFile

    def read(location: ManifestLocation) -> ParsedFile:
        return location.read(limits)

    def remote(location: ManifestLocation) -> tuple[Any, ...]:
        return location.read(limits, build=False).to_wire()

    def decode(location: ManifestLocation, wire: Any) -> ParsedFile:
        return ParsedFile.from_wire(wire, location.root)

    return map_manifests(read, locations, jobs, remote=remote, decode=decode)


def map_manifests(
    function: Callable[[ManifestLocation], T],
    locations: Sequence[ManifestLocation],
    jobs: int | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    remote: Callable[[ManifestLocation], object] | None = None,
    decode: Callable[[ManifestLocation, Any], T] | None = None,
) -> list[T]:
    """``[function(location) for location in locations]``, the manifest files on disk in forked processes
    when there are hundreds (``manifold.sources.fanout``).

    Bundle members and refused archives were read when their source was scanned: they are cheap,
    and their values hold the bundle's text and the archive, so they are done in this process, after
    the others. ``progress`` gets ``(done, len(locations))`` as ``fanout`` gives it, then after each of those.
    ``remote`` and ``decode`` carry the results from the forked processes (see ``fanout``).
    """
    if not locations:
        return []
    import manifold.manifest.read  # noqa: F401  # the reader, imported once here rather than in each forked process
    from manifold.sources.fanout import fanout  # imports pickle and may fork: only when something is read

    plain = [i for i, location in enumerate(locations) if location.parsed is None]
    total = len(locations)
    counted = None if progress is None else (lambda done, _: progress(done, total))
    found = fanout(function, [locations[i] for i in plain], jobs, progress=counted, remote=remote, decode=decode)
    done = dict(zip(plain, found, strict=True))
    results = []
    count = len(plain)
    for i, location in enumerate(locations):
        if i in done:
            results.append(done[i])
            continue
        results.append(function(location))
        count += 1
        if progress is not None:
            progress(count, total)
    return results
