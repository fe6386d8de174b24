"""The snapshot of a resolved start: what discovery, gating and resolving produced, kept so that the next start
with nothing changed costs a scan of the folders and one read of one file.

After a start that read, gated and resolved, the manager writes one sealed file next to the manifest
cache (``manifold.sources.sealed``: a checked header, an atomic write for the owner only, counted in
the folder's bounds) holding every record (its id, source, state, reason, stamp, warnings and
computed settings), the diagnostics, the load order, the dependency edges, the points and the
extension handles, and for each manifest its table and its ``Essentials`` (what activating the plugin
reads), each a blob of its own. The next start scans the sources (``plain_plugins``: a ``scandir`` and a
``stat`` per plugin folder) and, when the folders and their manifests' stamps are those of the snapshot,
takes everything from it: no gating, no rule engine, and each record's ``Manifest`` built only when
something first reads it (``Deferred``): activating a plugin reads its essentials alone, and its context
builds the manifest and the version when the plugin reads them.

The snapshot is used only when its context is the current one. The context covers: the manifest
cache's (manifold's version, the interpreter, ``sys.path``, the manifest limits) and that cache
file's own stamp (a rescan or a cold read that rewrote it makes the snapshot stale); the sources'
names and paths; the host options gating, resolving and settings read (the app, its version and the
API version, the severities, ``require_target``, the ``enabled``/``disabled``/``allow``/``deny``/
``required`` lists and the settings, in a canonical form: sets sorted, mappings by key, so that the
hash seed changes nothing); the points the host declared before discovery; the installed
distributions, through the modification time of every ``sys.path`` entry (installing or removing a
distribution changes its folder's); and the facts environment markers read (``os.uname()``,
``sys.platform``, ``os.name``, the interpreter's version and implementation).

It deliberately does not cover: a host with a ``pre_activate`` callback (its answers cannot be
keyed: such a host never uses a snapshot), sources other than folders on disk holding plain plugin
folders (bundles, archives and ``pkg://`` folders are read each time), and the plugins' code (what
the manifest cache does not key on either). The settings enter the context only as part of a
digest, and the settings a host gave are never written: those plugins' settings are computed again
from their manifests on a warm start.

A file that is missing, of another context, damaged or too large is ignored (damage with a warning)
and the start reads everything. A manifest blob that cannot be built when first read is read again from
the plugin's file, with a warning, and the snapshot is removed, so that the next start reads every
manifest; essentials that cannot be read are taken from the manifest. When the file cannot be read
either (or no longer holds the plugin), the plugin is left out if its code has not run (``filtered``,
reason ``invalid``, saying both); a plugin whose code runs keeps its state, with no manifest.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from manifold._log import logger
from manifold.config import HostConfig
from manifold.errors import describe
from manifold.lifecycle.records import HOLDING_CODE, Plugins, Record, now
from manifold.lifecycle.snapshot_data import (
    Unsnapshotable,
    essentials_data,
    essentials_from,
    handle_data,
    handle_from,
    point_data,
    point_from,
    reason_data,
    reason_from,
    thawed,
)
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.model import Essentials, Manifest, essentials_of, frozen
from manifold.registry import ExtensionHandle, Later, Point, Registry
from manifold.sources.cache import cache_file, is_toml_data
from manifold.sources.locations import FolderSource, Source
from manifold.sources.scan import PlainPlugin, file_stamp, plain_plugins
from manifold.sources.sealed import DamagedCache, OtherContext, blake2b, read_sealed, write_sealed
from manifold.states import Deferred, Reason

__all__ = ["Snapshot"]


_FORMAT = 4
_MAGIC = b"MFDSNAPS"

Listing = tuple[tuple[str, str, tuple[PlainPlugin, ...]], ...]
"""Per source: its name, its folder, and the plugin folders found in it with their manifests' stamps."""


class Snapshot:
    """The snapshot file of one set of sources and host options; ``None`` from ``of`` when there can be none."""

    def __init__(self, path: Path, context: bytes, listing: Listing, manifests: Path, config: HostConfig) -> None:
        self.path = path
        self._context = context  # the context but the manifest cache's stamp, read at each use
        self.listing = listing
        self._manifests = manifests
        self._config = config
        self.max_depth = config.manifest_limits.max_depth

    @classmethod
    def of(cls, folder: Path, sources: tuple[Source, ...], config: HostConfig, registry: Registry) -> Snapshot | None:
        """The snapshot of these sources in the cache ``folder``, with the sources scanned as they are now;
        None when these sources or options cannot have one."""
        if config.pre_activate is not None or any(type(s) is not FolderSource for s in sources):
            return None
        listing = []
        for source in sources:
            folder_path = os.fspath(source.path)  # type: ignore[attr-defined]  # a FolderSource
            found = plain_plugins(folder_path)
            if found is None:
                return None
            listing.append((source.name, folder_path, found))
        manifests, manifests_context = cache_file(folder, [s.name for s in sources], config.manifest_limits)
        named = b"\0".join([manifests_context, *(s.name.encode(errors="surrogatepass") for s in sources)])
        path = folder / f"snapshot-{blake2b(named, digest_size=12).hexdigest()}.bin"
        context = "\0".join([_options(config), _host_points(registry)])
        digest = blake2b(manifests_context + context.encode(errors="surrogatepass"), digest_size=16).digest()
        return cls(path, digest, tuple(listing), manifests, config)

    def _full_context(self) -> bytes:
        """The context with what may change while the manager runs: the environment (installed
        distributions), and the manifest cache file's stamp (a rewritten cache makes the snapshot stale)."""
        now_ = f"{_environment()}\0{file_stamp(self._manifests)!r}".encode(errors="surrogatepass")
        return blake2b(self._context + now_, digest_size=16).digest()

    # ------------------------------------------------------------------ the warm start
    def restore(self, plugins: Plugins, registry: Registry, loader: Callable[[ExtensionHandle], Any]) -> bool:
        """Fill ``plugins`` and ``registry`` from the snapshot when it is the one of these sources as they
        are now; False (nothing changed) when it is missing, stale, of another context or damaged."""
        try:
            context = self._full_context()
            payload = read_sealed(self.path, magic=_MAGIC, version=_FORMAT, context=context, what="a snapshot")
        except (FileNotFoundError, OtherContext):  # none yet, or the last start's options were others
            return False
        except (OSError, DamagedCache) as e:
            logger.warning("snapshot %s ignored (%s); the plugins are read again", self.path, e)
            return False
        try:
            saved = marshal.loads(payload)
            if type(saved) is not tuple or len(saved) != 9:
                raise ValueError("not a snapshot's table")
            if saved[0] != self.listing:
                return False  # a folder or a manifest changed
            restored = self._decode(saved)
        except Exception as e:  # a payload this code did not write (its checksum forged): the same answer
            logger.warning("snapshot %s ignored (damaged: %s); the plugins are read again", self.path, e)
            return False
        records, diagnostics, order, needs, needed_by, extensions = restored
        registry.fill_later(lambda: self._extensions(extensions, loader))
        plugins.records, plugins.diagnostics, plugins.order = records, diagnostics, order
        plugins.needs, plugins.needed_by = needs, needed_by
        return True

    def _decode(self, saved: tuple[Any, ...]) -> tuple[Any, ...]:
        _, records_saved, diagnostics_saved, order, needs, needed_by, extensions, blobs, facts = saved
        stamp = now()
        lock = threading.Lock()
        records: dict[str, Record] = {}
        for fields in records_saved:
            pid, blob, source, state, reason, discovered, file_stamp_, warnings, settings, where = fields
            held = None
            if blob is not None:
                manifest_id, index = blob
                held = _Blob(self, blobs[index], facts[index], manifest_id, where, lock)
            if reason is not None:
                reason = reason_from(reason)
            record = Record(pid, held, source, state, reason, stamp if discovered else None, changed_at=stamp)
            if held is not None:
                held.record = record
            if file_stamp_ is not None:
                if type(file_stamp_) is not tuple or len(file_stamp_) != 4:
                    raise ValueError(f"a malformed stamp of {pid!r:.200}")
                record.stamp = file_stamp_
            if warnings:
                record.warnings = tuple(reason_from(w) for w in warnings)  # type: ignore[misc]
            if settings is not None:
                kind, data = settings
                if kind == "host":
                    record.set_settings(_host_settings(record, self._config))
                else:
                    record.set_settings(frozen(data))
            records[pid] = record
        diagnostics = tuple(Diagnostic(*values) for values in diagnostics_saved)
        if type(order) is not tuple or any(pid not in records for pid in order):
            raise ValueError("its load order names plugins it does not hold")
        if type(extensions) is not bytes:
            raise ValueError("its points are not a blob")
        return records, diagnostics, order, needs, needed_by, extensions

    def _extensions(
        self, blob: bytes, loader: Callable[[ExtensionHandle], Any]
    ) -> tuple[tuple[Point, ...], dict[str, Later]]:
        """The points of the snapshot, and what builds the extension handles of each (``Registry.fill_later``):
        built when the registry is first read; none (with a warning, the snapshot removed) when its blob
        cannot be read."""
        try:
            points, groups = marshal.loads(blob)
            built = tuple(map(point_from, points))
            if type(groups) is not dict or any(type(group) is not bytes for group in groups.values()):
                raise ValueError("its extensions are not blobs by point")
            return built, {point_id: self._handles(group, loader) for point_id, group in groups.items()}
        except Exception as e:  # a payload this code did not write (its checksum forged)
            self._damaged("points and extensions", e)
            return (), {}

    def _handles(self, group: bytes, loader: Callable[[ExtensionHandle], Any]) -> Later:
        """What builds the extension handles of one point (none, with a warning, when they cannot be read)."""

        def build() -> tuple[ExtensionHandle, ...]:
            try:
                return tuple(handle_from(values, loader) for values in marshal.loads(group))
            except Exception as e:  # a payload this code did not write (its checksum forged)
                self._damaged("extensions", e)
                return ()

        return build

    def _damaged(self, what: str, error: Exception) -> None:
        logger.warning(
            "snapshot %s damaged: its %s cannot be built (%s); the next start reads every manifest again",
            self.path,
            what,
            describe(error),
        )
        self.remove()

    # ------------------------------------------------------------------ after a cold start
    def save(self, plugins: Plugins, registry: Registry, tables: Mapping[str, bytes]) -> None:
        """Write the snapshot of what was just read, gated and resolved (failures only logged). ``tables``: the
        manifests' tables already marshalled, by record id (kept as they are)."""
        try:
            payload = marshal.dumps(self._encode(plugins, registry, tables))
            context = self._full_context()
            write_sealed(self.path, payload, magic=_MAGIC, version=_FORMAT, context=context)
        except (OSError, ValueError) as e:
            logger.debug("snapshot %s not written: %s", self.path, e)
            self.remove()

    def remove(self) -> None:
        """Remove the snapshot file: the next start reads everything."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _encode(self, plugins: Plugins, registry: Registry, tables: Mapping[str, bytes]) -> tuple[Any, ...]:
        given, ordered = self._config.settings, set(plugins.order)
        blobs: list[bytes] = []
        facts: list[bytes] = []
        records = []
        for record in plugins.records.values():
            manifest = record.manifest
            blob = where = None
            if manifest is not None:
                if not isinstance(manifest.root, Path):
                    raise Unsnapshotable(f"{record.id}: not in a folder on disk")
                blob, where = (manifest.id, len(blobs)), (manifest.file, os.fspath(manifest.root))
                table = tables.get(record.id)
                blobs.append(table if table is not None else marshal.dumps(dict(manifest.data)))
                essentials = record.essentials  # kept on the record: activating it reads them next
                facts.append(
                    marshal.dumps(essentials_data(essentials if essentials is not None else essentials_of(manifest)))
                )
            settings: tuple[str, Any] | None = None
            if record.id in ordered:
                settings = ("host", None) if record.id in given else ("computed", thawed(record.settings))
            records.append(
                (
                    record.id,
                    blob,
                    record.source,
                    record.state,
                    reason_data(record.reason),
                    record.discovered_at is not None,
                    record.stamp,
                    tuple(map(reason_data, record.warnings)),
                    settings,
                    where,
                )
            )
        points = tuple(point_data(p) for p in registry.points.values() if p.plugin is not None)
        groups: dict[str, list[tuple[Any, ...]]] = {}
        for handle in registry.all_extensions():
            groups.setdefault(handle.point, []).append(handle_data(handle))
        return (
            self.listing,
            tuple(records),
            tuple(d.fields() for d in plugins.diagnostics),
            plugins.order,
            {pid: list(needs) for pid, needs in plugins.needs.items()},
            {pid: list(ids) for pid, ids in plugins.needed_by.items()},
            # read when the registry is first read; the handles of a point when that point's are
            marshal.dumps((points, {point_id: marshal.dumps(tuple(group)) for point_id, group in groups.items()})),
            tuple(blobs),
            tuple(facts),
        )

    def damaged(self, blob: _Blob, error: str) -> Manifest | None:
        """A manifest blob cannot be built: the manifest is read again from its file, and the snapshot is
        removed. A file that cannot be read (or no longer holds the plugin) leaves the plugin out when its
        code has not run (filtered, with the reason); a plugin whose code ran keeps its state, without a manifest."""
        record = blob.record
        file, root = blob.where
        logger.warning(
            "snapshot %s damaged: the manifest of %s cannot be built from it (%s); it is read again from its "
            "file, and the next start reads every manifest again",
            self.path,
            record.id if record is not None else file,
            error,
        )
        self.remove()
        manifest, problem = _read_again(file, Path(root), blob.manifest_id, self._config)
        if manifest is None and record is not None and record.state not in (*HOLDING_CODE, "failed"):
            message = f"{file}: its manifest in the cache is damaged ({error}), and reading the file again {problem}"
            record.state, record.reason, record.changed_at = "filtered", Reason("invalid", message), now()
        return manifest


class _Blob(Deferred):
    """A record's manifest as the snapshot holds it: its table and its essentials, marshalled; each built on
    first read, once."""

    __slots__ = ("_data", "_facts", "_lock", "_snapshot", "_value", "manifest_id", "record", "where")

    def __init__(
        self, snapshot: Snapshot, data: bytes, facts: bytes, manifest_id: str, where: tuple[str, str], lock: Any
    ) -> None:
        self._snapshot = snapshot
        self._data = data
        self._facts = facts
        self.manifest_id = manifest_id
        self.where = where
        self._lock = lock
        self._value: Manifest | object | None = _UNBUILT
        self.record: Record | None = None

    def get(self) -> Manifest | None:
        value = self._value
        if value is _UNBUILT:
            built, error = self._build()
            with self._lock:  # set if absent: two threads may build, one manifest escapes
                if self._value is _UNBUILT:
                    self._value, self._data = built, b""
                    if built is None:
                        self._value = self._snapshot.damaged(self, error)
                value = self._value
        return value  # type: ignore[return-value]

    def essentials(self) -> Essentials | None:
        """Read from the snapshot alone (the ``Record`` keeps them); from the manifest when they cannot be."""
        try:
            return essentials_from(marshal.loads(self._facts), self.manifest_id, self.where)
        except Exception:  # a payload this code did not write (its checksum forged): the manifest decides
            manifest = self.get()
            return None if manifest is None else essentials_of(manifest)

    def _build(self) -> tuple[Manifest | None, str]:
        file, root = self.where
        try:
            data = marshal.loads(self._data)
            if type(data) is not dict or not is_toml_data(data, self._snapshot.max_depth):
                raise ValueError("not a manifest's table")
            manifest = Manifest.from_data(data, file=file, root=Path(root))
            if manifest.id != self.manifest_id:
                raise ValueError(f"it holds the manifest of {manifest.id!r}")
        except Exception as e:
            return None, describe(e)
        return manifest, ""


_UNBUILT: Any = object()


# -------------------------------------------------------------------------------- what a snapshot does not hold
def _read_again(file: str, root: Path, plugin_id: str, config: HostConfig) -> tuple[Manifest | None, str]:
    """The manifest of ``plugin_id`` read from ``file`` again, or None and what went wrong."""
    from manifold.manifest.read import parse_manifest

    parsed = parse_manifest(Path(file), file=file, root=root, limits=config.manifest_limits)
    manifest = parsed.manifest
    if manifest is None:
        errors = [d.message for d in parsed.diagnostics if d.severity == "error"]
        return None, f"failed: {'; '.join(errors) or 'no manifest'}"
    if manifest.id != plugin_id:
        return None, f"found the manifest of {manifest.id!r}"
    return manifest, ""


def _host_settings(record: Record, config: HostConfig) -> Mapping[str, Any]:
    """The settings of a plugin the host gave settings for, with its schema's defaults (as discovery computes
    them): never written in the snapshot, they may hold secrets."""
    from manifold.manifest.settings import apply_defaults

    manifest = record.manifest
    schema = manifest.settings_schema if manifest is not None else None
    return frozen(apply_defaults(schema, config.settings.get(record.id, {})))


# -------------------------------------------------------------------------------- the context
def _canonical(value: Any) -> str:
    """``value`` as text that is the same in every process (sets sorted, mappings by key)."""
    if isinstance(value, Mapping):
        items = sorted((_canonical(k), _canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, set | frozenset):
        return "set(" + ",".join(sorted(_canonical(v) for v in value)) + ")"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}(" + ",".join(_canonical(v) for v in value) + ")"
    return f"{type(value).__qualname__}:{value!r}"


def _options(config: HostConfig) -> str:
    """The host options that gating, resolving and settings read."""
    return _canonical(
        (
            config.app,
            str(config.app_version),
            str(config.api_version),
            config.api_severity,
            config.app_severity,
            config.require_target,
            config.enabled,
            config.disabled,
            config.allow,
            config.deny,
            config.required,
            config.settings,
        )
    )


def _host_points(registry: Registry) -> str:
    """The points declared before discovery (the host's): the rule engine and the extensions' defaults read them."""
    return _canonical([[getattr(point, name) for name in Point.__slots__] for point in registry.points.values()])


def _environment() -> str:
    """The platform facts markers read, and the modification time of every ``sys.path`` entry (where
    installed distributions are found)."""
    stamps = []
    for entry in sys.path:
        try:
            stamps.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except (OSError, ValueError):
            stamps.append(f"{entry}\0-")
    facts = (tuple(os.uname()) if hasattr(os, "uname") else (), sys.platform, os.name, sys.version)
    return "\0".join([repr(facts), repr(sys.implementation.name), *stamps])
