"""A persistent cache of checked manifests, so a warm start reads no TOML and runs no validator.

One file per set of sources and per context the verdicts depend on (manifold's version, the
interpreter, ``sys.path`` as the shadowing check sees it, the manifest limits), in the user's cache
folder (or the host's ``cache_dir``). An entry is keyed by the manifest's path and its stamp (size,
``mtime_ns``, ``ctime_ns``, inode): editing or replacing a manifest invalidates exactly that entry,
even when its size and modification time are put back.

The file checks itself: a header (a magic word, the format, the payload's length, a digest of the
context, and a BLAKE2b digest of the payload) is checked before the payload is unmarshalled, and
every entry's shape is checked after. A file that is missing, of another context, damaged in any
way or too large is ignored (damage with one warning in the log): the manifests are read again,
and the file is rewritten atomically.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from manifold._log import logger
from manifold.codes import DIAGNOSTIC_CODES
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits
from manifold.manifest.model import Manifest
from manifold.manifest.parsed import ParsedFile
from manifold.sources.scan import ManifestLocation, Stamp, read_manifests
from manifold.sources.sealed import (
    MAX_CACHE_FILES,
    MAX_CACHE_FOLDER_SIZE,
    MAX_CACHE_SIZE,
    DamagedCache,
    blake2b,
    read_sealed,
    write_sealed,
)

__all__ = [
    "MAX_CACHE_FILES",
    "MAX_CACHE_FOLDER_SIZE",
    "MAX_CACHE_SIZE",
    "DamagedCache",
    "ManifestCache",
    "cache_context",
    "cache_file",
    "is_toml_data",
]


_FORMAT = 4
_MAGIC = b"MFDCACHE"

Entry = tuple[Stamp, str, bytes | None, tuple[tuple[Any, ...], ...], str | None]
"""(stamp, file name, data when the manifest is valid (marshalled: checked when used), diagnostics as tuples,
plugin id)."""


def cache_context(limits: ManifestLimits) -> str:
    """Everything a cached verdict depends on besides the manifest itself."""
    from manifold import __version__

    return "\0".join(
        [
            f"manifold {__version__} format {_FORMAT} marshal {marshal.version}",
            f"{sys.implementation.cache_tag} {sys.version} {sys.executable}",
            f"limits {limits.max_size} {limits.max_depth} {limits.max_diagnostics}",
            "path",
            *sys.path,  # the shadowing check finds installed modules on it
        ]
    )


def cache_file(folder: Path, sources: Sequence[str], limits: ManifestLimits) -> tuple[Path, bytes]:
    """The manifest cache file of ``sources`` in ``folder``, and the digest of its context."""
    context = blake2b(cache_context(limits).encode(errors="surrogatepass"), digest_size=16).digest()
    named = b"\0".join([context, *(s.encode(errors="surrogatepass") for s in sources)])
    return folder / f"manifests-{blake2b(named, digest_size=12).hexdigest()}.bin", context


class ManifestCache:
    """Checked manifests of one source set: ``parse_all()`` answers from the cache where it can."""

    def __init__(
        self, folder: Path, sources: Sequence[str], *, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS
    ) -> None:
        self.limits = limits
        self.path, self._context = cache_file(folder, sources, limits)
        self._entries: dict[str, Entry] = self._load()
        self._fresh: dict[str, Entry] = {}
        self._damaged = False  # an entry that could not be used was found (and the warning given)
        self.hits = self.misses = 0

    def _load(self) -> dict[str, Entry]:
        try:
            return self._read()
        except FileNotFoundError:
            return {}
        except (OSError, DamagedCache) as e:
            logger.warning("manifest cache %s ignored (%s); the manifests are read again", self.path, e)
            return {}
        except Exception as e:  # anything else a damaged file could provoke: the same answer
            logger.warning("manifest cache %s ignored (damaged: %s); the manifests are read again", self.path, e)
            return {}

    def _read(self) -> dict[str, Entry]:
        payload = read_sealed(self.path, magic=_MAGIC, version=_FORMAT, context=self._context, what="a manifest cache")
        return _checked_entries(marshal.loads(payload))

    def parse_all(self, locations: Sequence[ManifestLocation], jobs: int | None = None) -> list[ParsedFile]:
        """The checked manifests at ``locations``: from the cache where unchanged, the others read
        (by ``jobs`` processes, see ``read_manifests``) and kept for ``save``."""
        stamps = [location.file_stamp for location in locations]  # None: not a real file, never cached
        found = [self._lookup(location, stamp) for location, stamp in zip(locations, stamps, strict=True)]
        missing = [i for i, parsed in enumerate(found) if parsed is None]
        done = read_manifests([locations[i] for i in missing], self.limits, jobs)
        for i, parsed in zip(missing, done, strict=True):
            found[i] = parsed
            self._store(locations[i], stamps[i], parsed)
        return found  # type: ignore[return-value]  # every None was replaced

    def _lookup(self, location: ManifestLocation, stamp: Stamp | None) -> ParsedFile | None:
        if stamp is None:  # not a real file (inside a package or an archive): no caching
            return None
        key = os.fspath(location.source)  # type: ignore[call-overload]
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp and entry[1] == location.file:
            try:
                parsed = _revive(entry, location, self.limits.max_depth)
            except Exception as e:  # an entry this code cannot use (its checksum forged): the file is read again
                if not self._damaged:  # one warning, however many entries are damaged
                    logger.warning(
                        "manifest cache %s: the entry of %s is damaged (%s); it is read again, as is any other "
                        "damaged entry",
                        self.path,
                        key,
                        e,
                    )
                self._damaged = True
                return None
            self.hits += 1
            self._fresh[key] = entry
            return parsed
        return None

    def _store(self, location: ManifestLocation, stamp: Stamp | None, parsed: ParsedFile) -> None:
        if stamp is None or any(d.code == "internal-error" for d in parsed.diagnostics):
            return  # a failure inside manifold is not a verdict on the file: read it again next time
        self.misses += 1
        table = None
        if parsed.manifest is not None:
            table = parsed.marshalled()
            if table is None:  # data marshal cannot store (TOML dates and times): read again next time
                return
        self._fresh[os.fspath(location.source)] = (  # type: ignore[call-overload]
            stamp,
            location.file,
            table,
            tuple(d.fields() for d in parsed.diagnostics),
            parsed.plugin_id,
        )

    def save(self) -> None:
        """Write what this run read, if anything changed (atomically; failures only logged)."""
        if not self.misses and self._fresh.keys() == self._entries.keys():
            return
        try:
            payload = marshal.dumps(self._fresh)
            write_sealed(self.path, payload, magic=_MAGIC, version=_FORMAT, context=self._context)
        except (OSError, ValueError) as e:
            logger.debug("manifest cache %s not written: %s", self.path, e)
        self._entries = dict(self._fresh)


def _revive(entry: Entry, location: ManifestLocation, max_depth: int) -> ParsedFile:
    """The file ``entry`` keeps; raises when it cannot be built from it."""
    _, file, table, diagnostics, plugin_id = entry
    found = tuple(Diagnostic(*values) for values in diagnostics)
    if table is None:
        return ParsedFile(file, location.root, found, None, None, None, plugin_id)
    data = marshal.loads(table)
    if type(data) is not dict or not is_toml_data(data, max_depth):
        raise DamagedCache("it holds no manifest's table")
    manifest = Manifest.from_data(data, file=file, root=location.root)
    return ParsedFile(file, location.root, found, manifest, None, data, plugin_id, table=table)


# -- the shape of what was read back ---------------------------------------------------------------

_OPTIONAL_TEXT = (str, type(None))
_OPTIONAL_INT = (int, type(None))


def _checked_entries(entries: Any) -> dict[str, Entry]:
    """``entries`` when every one has the shape ``_store`` writes; raises DamagedCache naming the first that has not."""
    if type(entries) is not dict:
        raise DamagedCache("its entries are not a table")
    for key, entry in entries.items():
        if type(key) is not str or not _is_entry(entry):
            raise DamagedCache(f"a malformed entry for {key!r:.200}")
    return entries


def _is_entry(entry: Any) -> bool:
    if type(entry) is not tuple or len(entry) != 5:
        return False
    stamp, file, data, diagnostics, plugin_id = entry
    if type(stamp) is not tuple or len(stamp) != 4 or any(type(n) is not int for n in stamp):
        return False
    if type(file) is not str or not isinstance(plugin_id, _OPTIONAL_TEXT):
        return False
    if type(diagnostics) is not tuple or not all(_is_diagnostic(d) for d in diagnostics):
        return False
    return data is None or (type(data) is bytes and not any(d[0] == "error" for d in diagnostics))


def _is_diagnostic(values: Any) -> bool:
    if type(values) is not tuple or len(values) != 8:
        return False
    severity, code, message, file, line, column, path, plugin = values
    return (
        severity in ("error", "warning")
        and type(code) is str
        and code in DIAGNOSTIC_CODES
        and type(message) is str
        and isinstance(file, _OPTIONAL_TEXT)
        and isinstance(line, _OPTIONAL_INT)
        and isinstance(column, _OPTIONAL_INT)
        and isinstance(path, _OPTIONAL_TEXT)
        and isinstance(plugin, _OPTIONAL_TEXT)
    )


def is_toml_data(data: Mapping[str, Any], max_depth: int) -> bool:
    """Whether ``data`` is made of what TOML reads (tables with string keys, arrays, strings, numbers,
    booleans), at most ``max_depth`` deep; iterative."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return False
        if type(value) is dict:
            if any(type(key) is not str for key in value):
                return False
            children = value.values()
        else:
            children = value
        for child in children:
            if type(child) in (dict, list):
                stack.append((child, depth + 1))
            elif type(child) not in (str, int, float, bool):
                return False
    return True
