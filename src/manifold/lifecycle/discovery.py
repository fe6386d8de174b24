"""Discovery: read every source into records, gate and resolve them, register their points and
extensions; and, on a rescan, tell what appeared, disappeared or changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from manifold._log import logger
from manifold.codes import UNEXPECTED_REASONS
from manifold.config import HostConfig, default_cache_dir
from manifold.errors import describe
from manifold.lifecycle.records import HOLDING_CODE, Plugins, Record, now, source_stamp
from manifold.lifecycle.redact import scrub_reason
from manifold.lifecycle.snapshot import Listing, Snapshot
from manifold.manifest.model import EMPTY, frozen
from manifold.registry import ExtensionHandle, Point, Registry
from manifold.sources.codecache import CodeCache
from manifold.sources.locations import FolderSource, Source, SourceError
from manifold.states import Reason

if TYPE_CHECKING:
    from manifold.manifest.diagnostics import Diagnostic
    from manifold.manifest.model import Manifest
    from manifold.sources.scan import ManifestLocation

__all__ = ["Discovery", "apply_point_defaults", "log_unavailable"]


class Discovery:
    """Turns the host's sources into records and a load order, and registers what the resolved plugins declare.

    ``loader`` is the function every extension handle loads with; ``timings`` receives the seconds
    the ``discover``, ``gate`` and ``resolve`` steps took.
    """

    def __init__(
        self,
        sources: tuple[Source, ...],
        config: HostConfig,
        registry: Registry,
        loader: Callable[[ExtensionHandle], Any],
        timings: dict[str, float],
    ) -> None:
        self.sources = sources
        self.config = config
        self.registry = registry
        self.loader = loader
        self.timings = timings
        self.cache_dir = (config.cache_dir or default_cache_dir()) if config.cache else None
        self._installed: dict[str, str | None] = {}

    def code_cache(self) -> CodeCache | None:
        """Where the plugins' compiled code is kept between runs (beside the manifest cache; None without it)."""
        return CodeCache(self.cache_dir, [_name(s) for s in self.sources]) if self.cache_dir else None

    def discover(self, plugins: Plugins, resolving: Callable[[], object]) -> None:
        """Fill ``plugins`` and the registry: from the snapshot of the last start when nothing it depends on
        changed (see ``manifold.lifecycle.snapshot``), else read, gate and resolve, and keep a snapshot for
        the next start. ``resolving()`` is called once the records are read, before gating."""
        began = time.perf_counter()
        snapshot = None
        if self.cache_dir is not None:
            snapshot = Snapshot.of(self.cache_dir, self.sources, self.config, self.registry)
        if snapshot is not None and snapshot.restore(plugins, self.registry, self.loader):
            self.timings.update(discover=time.perf_counter() - began, gate=0.0, resolve=0.0)
            resolving()
            _log_gating(plugins)
            return
        # The snapshot's scan of the folders, a moment ago, is the one the records are read from.
        plugins.records, plugins.diagnostics, tables = self.read(None if snapshot is None else snapshot.listing)
        resolving()
        self.resolve(plugins)
        if snapshot is not None:
            snapshot.save(plugins, self.registry, tables)

    def read(
        self, listing: Listing | None = None
    ) -> tuple[dict[str, Record], tuple[Diagnostic, ...], dict[str, bytes]]:
        """A record per plugin id found in the sources (shadowed ones under ``id@file``), the diagnostics, and
        the manifests' tables that arrived marshalled (``ParsedFile.table``), by record id.

        ``listing``: the plugin folders of each source as ``Snapshot.of`` just found them (every source a
        folder of plain plugin folders), which are then not scanned again."""
        # The reading, the rule engine and the cache of manifests are loaded by the first start that reads
        # (a warm start takes its records from the snapshot and imports none of them).
        from manifold.graph.rules import invalid_reason, shadowed
        from manifold.manifest.diagnostics import Diagnostic
        from manifold.sources.cache import ManifestCache
        from manifold.sources.scan import plain_locations, read_manifests

        began = time.perf_counter()
        records: dict[str, Record] = {}
        tables: dict[str, bytes] = {}
        diagnostics: list[Diagnostic] = []
        found: list[tuple[Source, ManifestLocation]] = []
        for index, source in enumerate(self.sources):
            try:
                if listing is not None and isinstance(source, FolderSource):
                    _, _, plain = listing[index]
                    found += [(source, location) for location in plain_locations(source.path, source.name, plain)]
                    continue
                found += [(source, location) for location in source.manifests()]
            except SourceError as e:
                diagnostics.append(Diagnostic("warning", "source", str(e), _name(source)))
            except Exception as e:  # a Source of the host's own, or a failure inside manifold: the others are read
                message = f"{_name(source)}: cannot be read ({describe(e)})"
                diagnostics.append(Diagnostic("warning", "source", message, _name(source)))
        locations = [location for _, location in found]
        limits = self.config.manifest_limits
        cache = (
            ManifestCache(self.cache_dir, [_name(s) for s in self.sources], limits=limits) if self.cache_dir else None
        )
        # Read in forked processes when there are hundreds to read (never while other threads run).
        jobs = self.config.jobs
        everything = cache.parse_all(locations, jobs) if cache is not None else read_manifests(locations, limits, jobs)
        stamp = now()
        pids = [parsed.plugin_id or location.file for (_, location), parsed in zip(found, everything, strict=True)]
        earlier = shadowed(pids)  # the earlier source keeps an id
        for index, ((source, location), parsed) in enumerate(zip(found, everything, strict=True)):
            diagnostics += parsed.diagnostics
            pid = pids[index]
            if index in earlier:
                winner = records[pid]
                message = f"{pid} at {location.file} is shadowed by {winner.source} ({winner.where})"
                shadow = Record(
                    f"{pid}@{location.file}",
                    parsed.manifest,
                    source.name,
                    "filtered",
                    Reason("shadowed", message),
                    stamp,
                    changed_at=stamp,
                )
                records[shadow.id] = shadow
                if parsed.manifest is not None and parsed.table is not None:
                    tables[shadow.id] = parsed.table
                continue
            record = Record(pid, parsed.manifest, source.name, "discovered", discovered_at=stamp, changed_at=stamp)
            record.stamp = location.stamp if location.stamp is not None else source_stamp(location.source)
            if parsed.manifest is None:
                record.state, record.reason = "filtered", invalid_reason(parsed.diagnostics)
            elif parsed.table is not None:
                tables[pid] = parsed.table
            records[pid] = record
        if cache is not None:
            cache.save()
        for pid in sorted(self.config.required | (self.config.enabled or frozenset())):
            if pid not in records:
                records[pid] = Record(
                    pid, None, None, "filtered", Reason("not-found", f"{pid} is in no source"), changed_at=stamp
                )
        self.timings["discover"] = time.perf_counter() - began
        return records, tuple(diagnostics), tables

    def resolve(self, plugins: Plugins, registry: Registry | None = None) -> None:
        """Gate every record, resolve the rest into a load order, and register their points and extensions
        (in ``registry``, a rescan's registry filled aside; else the host's)."""
        from manifold.graph.gate import gate  # a warm start neither gates nor resolves (see ``read``)
        from manifold.graph.order import dependents
        from manifold.graph.rules import check_set

        registry = self.registry if registry is None else registry
        began = time.perf_counter()
        candidates: list[Manifest] = []
        unavailable: dict[str, Reason] = {}
        for record in plugins.records.values():
            if record.manifest is None or record.state == "filtered":
                if record.reason is not None and record.reason.code != "shadowed":
                    unavailable[record.id] = record.reason
                continue
            warnings: list[Reason] = []
            reason = gate(record.manifest, self.config, self._installed_version, warnings)
            record.warnings = tuple(scrub_reason(w, plugins.secrets) for w in warnings)
            if reason is not None:
                if reason.code == "incompatible-api":
                    logger.warning("%s; skipping it", reason.message)
                plugins.set_state(record, "filtered", reason)
                unavailable[record.id] = reason
            else:
                candidates.append(record.manifest)
        gated = time.perf_counter()
        self.timings["gate"] = gated - began
        points = {pid: p.plugin for pid, p in registry.points.items()}
        verdict = check_set(candidates, unavailable=unavailable, points=points)
        plugins.needs = verdict.edges
        plugins.needed_by = dependents(verdict.edges)
        for pid, reason in verdict.reasons.items():
            plugins.set_state(plugins.records[pid], "unresolved", reason)
        plugins.order = verdict.order
        for index, pid in enumerate(plugins.order):
            record = plugins.records[pid]
            if record.state not in HOLDING_CODE:  # a rescan keeps what is already loaded
                plugins.set_state(record, "resolved", None)
            self._register(record, index, registry)
        apply_point_defaults(registry)
        self.timings["resolve"] = time.perf_counter() - gated

    def _installed_version(self, name: str) -> str | None:
        if name not in self._installed:
            from manifold.graph.installed import installed_version  # only for a plugin that requires a distribution

            self._installed[name] = installed_version(name)
        return self._installed[name]

    def _register(self, record: Record, index: int, registry: Registry) -> None:
        manifest = record.manifest
        assert manifest is not None
        given = record.given if record.given is not None else self.config.settings.get(record.id, {})
        schema = manifest.settings_schema
        if schema or given:
            from manifold.manifest.settings import apply_defaults  # see ``read``

            record.set_settings(frozen(apply_defaults(schema, given)))
        else:  # nothing given, nothing to fill in: what apply_defaults would make of it
            record.set_settings(EMPTY)
        for point in manifest.extension_points:
            registry.add_point(Point.of(point))
        for ext in manifest.extensions:
            if ext.markers is not None and not ext.markers.evaluate():
                logger.debug("%s: extensions[%d] skipped, markers false: %s", manifest.id, ext.index, ext.markers)
                continue
            handle = ExtensionHandle(
                plugin=manifest.id,
                point=ext.point,
                index=ext.index,
                ref=ext.ref,
                id=ext.id,
                priority=ext.priority,
                config=ext.config,  # read-only already
                order=index,
                loader=self.loader,
                wrapper=ext.wrapper,
            )
            registry.add(handle)


def apply_point_defaults(registry: Registry, point_id: str | None = None) -> None:
    """Fill in the ``default`` values of each point's ``config-schema`` in its extensions' ``config``
    (of ``point_id``'s, or of every point's), so that a host reads them before ``load()``; the
    config is checked against the schema when the extension is loaded."""
    from manifold.manifest.settings import apply_defaults  # see ``Discovery.read``

    points = registry.points
    filling: dict[str, bool] = {}  # point id -> whether its schema has a default to fill in
    for handle in registry.all_extensions():
        if point_id is not None and handle.point != point_id:
            continue
        point = points.get(handle.point)
        if point is None or not point.config_schema or handle.loaded:
            continue
        fills = filling.get(point.id)
        if fills is None:
            fills = filling[point.id] = _has_defaults(point.config_schema)
        if not fills:  # apply_defaults would return an equal copy
            continue
        filled = apply_defaults(point.config_schema, handle.config)
        if filled != handle.config:
            handle.config = frozen(filled)


def _has_defaults(schema: Mapping[str, Any]) -> bool:
    """Whether ``apply_defaults`` can fill anything in from ``schema``: a ``default`` among its ``properties``,
    or among those of a property it descends into (an object with ``properties``)."""
    for sub in schema.get("properties", {}).values():
        if not isinstance(sub, Mapping):
            continue
        if "default" in sub:
            return True
        if sub.get("type", "object") == "object" and "properties" in sub and _has_defaults(sub):
            return True
    return False


def _log_gating(plugins: Plugins) -> None:
    """Log what gating logs, for a start that took its records from a snapshot: the warnings of the
    plugins it let pass with one, and the plugins it skipped for their API version."""
    for record in plugins.records.values():
        for warning in record.warnings:
            logger.warning("%s", warning.message)
        if record.reason is not None and record.reason.code == "incompatible-api":
            logger.warning("%s; skipping it", record.reason.message)


def _name(source: Source) -> str:
    """A source's name for messages; never raises (a host's own Source may)."""
    try:
        return str(source.name)
    except Exception as e:
        return f"<a source whose name cannot be read: {describe(e)}>"


def log_unavailable(plugins: Plugins) -> None:
    """One WARNING naming the plugins that cannot load for a reason the host did not ask for (an invalid
    manifest, a refused archive, a missing dependency...): a host that only reads its log still hears of it."""
    unexpected = [r for r in plugins if r.reason is not None and r.reason.code in UNEXPECTED_REASONS]
    if unexpected:
        shown = "; ".join(f"{r.id} ({r.reason.code})" for r in unexpected[:10] if r.reason is not None)
        more = f"; and {len(unexpected) - 10} more" if len(unexpected) > 10 else ""
        logger.warning(
            "%d plugin%s cannot load: %s%s (manager.report says why)",
            len(unexpected),
            "" if len(unexpected) == 1 else "s",
            shown,
            more,
        )
