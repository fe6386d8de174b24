"""A persistent cache of checked manifests, so a warm start reads no TOML and runs no validator.

One file per set of sources, in the user's cache folder (or the host's ``cache_dir``). An entry is
keyed by the manifest's path and its size and ``mtime_ns``: touching or editing a manifest
invalidates exactly that entry. The file is written atomically, and ignored (then rebuilt) when
it is missing, unreadable, corrupt, or written by another manifold or Python version.
"""

from __future__ import annotations

import logging
import marshal
import os
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from manifold._files import write_atomic
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.model import Manifest
from manifold.manifest.parsed import ParsedFile
from manifold.sources.locations import ManifestLocation, map_manifests

__all__ = ["ManifestCache"]

logger = logging.getLogger("manifold")

_FORMAT = 1


def _version() -> str:
    from manifold import __version__

    return f"manifold {__version__} format {_FORMAT} python {sys.version_info[:2]} marshal {marshal.version}"


class ManifestCache:
    """Checked manifests of one source set: ``parse_all()`` answers from the cache where it can."""

    def __init__(self, folder: Path, sources: Sequence[str]) -> None:
        named = "\0".join([_version(), *sources]).encode()
        key = f"{zlib.crc32(named):08x}{zlib.adler32(named):08x}"  # 64 bits; hashlib costs ~15 ms to import
        self.path = folder / f"manifests-{key}.bin"
        self._entries: dict[str, tuple[Any, ...]] = self._load()
        self._fresh: dict[str, tuple[Any, ...]] = {}
        self.hits = self.misses = 0

    def _load(self) -> dict[str, tuple[Any, ...]]:
        try:
            with open(self.path, "rb") as file:
                version, entries = marshal.loads(file.read())  # load(file) reads in tiny pieces: 8x slower
        except (OSError, EOFError, ValueError, TypeError) as e:
            if not isinstance(e, FileNotFoundError):
                logger.debug("manifest cache %s ignored: %s", self.path, e)
            return {}
        if version != _version() or not isinstance(entries, dict):
            return {}
        return entries

    def parse_all(self, locations: Sequence[ManifestLocation], jobs: int | None = None) -> list[ParsedFile]:
        """The checked manifests at ``locations``: from the cache where unchanged, the others read
        (by ``jobs`` processes, see ``map_manifests``) and kept for ``save``."""
        stamps = [location.file_stamp for location in locations]  # None: not a real file, never cached
        found = [self._lookup(location, stamp) for location, stamp in zip(locations, stamps, strict=True)]
        missing = [i for i, parsed in enumerate(found) if parsed is None]
        read = map_manifests(ManifestLocation.read, [locations[i] for i in missing], jobs)
        for i, parsed in zip(missing, read, strict=True):
            found[i] = parsed
            self._store(locations[i], stamps[i], parsed)
        return found  # type: ignore[return-value]  # every None was replaced

    def _lookup(self, location: ManifestLocation, stamp: tuple[int, int] | None) -> ParsedFile | None:
        if stamp is None:  # not a real file (inside a package or an archive): no caching
            return None
        key = os.fspath(location.source)  # type: ignore[call-overload]
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp and entry[1] == location.file:
            parsed = _revive(entry, location)
            if parsed is not None:
                self.hits += 1
                self._fresh[key] = entry
                return parsed
        return None

    def _store(self, location: ManifestLocation, stamp: tuple[int, int] | None, parsed: ParsedFile) -> None:
        if stamp is None:
            return
        self.misses += 1
        self._fresh[os.fspath(location.source)] = (  # type: ignore[call-overload]
            stamp,
            location.file,
            parsed.data if parsed.manifest is not None else None,
            tuple(tuple(d.to_dict().values()) for d in parsed.diagnostics),
            parsed.plugin_id,
        )

    def save(self) -> None:
        """Write what this run read, if anything changed (atomically; failures only logged)."""
        if not self.misses and self._fresh.keys() == self._entries.keys():
            return
        try:
            data = marshal.dumps((_version(), _marshalable(self._fresh)))
            write_atomic(self.path, data, parents=True, mode=0o600)  # the user's own cache
        except (OSError, ValueError) as e:
            logger.debug("manifest cache %s not written: %s", self.path, e)
        self._entries = dict(self._fresh)


def _revive(entry: tuple[Any, ...], location: ManifestLocation) -> ParsedFile | None:
    _, file, data, diagnostics, plugin_id = entry
    try:
        found = tuple(Diagnostic(*values) for values in diagnostics)
        manifest = Manifest.from_data(data, file=file, root=location.root) if data is not None else None
    except Exception:  # an entry this code cannot use: read the file again
        return None
    return ParsedFile(file, location.root, found, manifest, None, data, plugin_id)


def _marshalable(entries: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Entries whose data marshal can store (TOML dates and times cannot be: those are re-read)."""
    kept = {}
    for key, entry in entries.items():
        try:
            marshal.dumps(entry)
        except ValueError:
            continue
        kept[key] = entry
    return kept
