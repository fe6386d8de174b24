"""The plugin manager: composes discovery, gating, resolution, import, registry and lifecycle for a host."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import inspect
import logging
import os
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, MappingProxyType
from typing import TYPE_CHECKING, Any

from manifold.codes import ReasonCode
from manifold.errors import ExtensionError, SettingsError, StrictModeError, UnknownPluginError
from manifold.graph.gate import HostConfig, Severity, gate
from manifold.graph.installed import installed_version
from manifold.graph.order import build_graph, dependents
from manifold.graph.resolve import resolve, unavailable_because
from manifold.hooks import After, Before, HookCaller, HookRelay, attach_implementation
from manifold.importer import PluginImporter
from manifold.lifecycle.context import PluginContext
from manifold.lifecycle.redact import RedactingFilter, scrub, secrets_in
from manifold.lifecycle.runner import CallTimeout, Runner
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.model import Cardinality, Manifest, Reference, frozen
from manifold.manifest.settings import apply_defaults, check_values
from manifold.registry import ExtensionHandle, Point, Registry
from manifold.sources.archives import ARCHIVE_CODES, check_unchanged
from manifold.sources.cache import ManifestCache, default_cache_dir
from manifold.sources.gcpause import paused
from manifold.sources.locations import (
    ManifestLocation,
    Source,
    SourceError,
    as_source,
    backing_file,
    file_stamp,
    map_manifests,
)
from manifold.states import Phase, PluginInfo, Reason, State

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["LoadReport", "Manager", "RescanResult"]

logger = logging.getLogger("manifold")

Listener = Callable[[PluginInfo], object]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class _Record:
    """The manager's mutable state of one plugin id (snapshots are PluginInfo)."""

    id: str
    manifest: Manifest | None
    source: str | None
    state: State
    reason: Reason | None = None
    discovered_at: datetime.datetime | None = None
    activated_at: datetime.datetime | None = None
    changed_at: datetime.datetime | None = None
    obj: Any = None
    context: PluginContext | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    stamp: tuple[int, int] | None = None
    code_stamp: tuple[int, int] | None = None

    def info(self) -> PluginInfo:
        return PluginInfo(
            self.id,
            self.state,
            self.reason,
            self.source,
            self.manifest,
            self.discovered_at,
            self.activated_at,
            self.changed_at,
        )


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Every plugin the manager knows, its state and reason, the load order and manifest diagnostics."""

    plugins: Mapping[str, PluginInfo]
    order: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]

    def in_state(self, *states: State) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.state in states]

    @property
    def active(self) -> list[str]:
        return [pid for pid in self.order if self.plugins[pid].state == "active"]

    def by_reason(self) -> dict[str, list[str]]:
        """Plugin ids grouped by the code of their reason."""
        grouped: dict[str, list[str]] = {}
        for info in self.plugins.values():
            if info.reason is not None:
                grouped.setdefault(info.reason.code, []).append(info.id)
        return grouped


@dataclass(frozen=True, slots=True)
class RescanResult:
    """What a rescan found: plugin ids that appeared, disappeared, or whose manifest or code changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


class Manager:
    """Turns sources of plugin folders into active plugins and ordered extensions.

    Nothing happens in the constructor. ``discover()`` reads, gates and resolves (importing no
    plugin code); ``start()`` also activates the eager plugins; ``extensions(point)`` gives
    handles whose ``load()`` imports a lazy plugin on first use. Every failure of one plugin is
    recorded in ``report`` and never stops the others.
    """

    def __init__(
        self,
        sources: Iterable[str | os.PathLike[str] | Source] = (),
        *,
        app: str | None = None,
        app_version: str | None = None,
        api_version: str | None = None,
        api_severity: Severity = "error",
        require_target: bool = False,
        enabled: Iterable[str] | None = None,
        disabled: Iterable[str] = (),
        allow: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        required: Iterable[str] = (),
        strict: bool = False,
        safe_mode: bool = False,
        timeout: float | None = 20.0,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        pre_activate: Callable[[Manifest], bool] | None = None,
        environ: Mapping[str, str] | None = None,
        cache: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        jobs: int | None = None,
    ) -> None:
        self.sources: tuple[Source, ...] = tuple(as_source(s) for s in sources)
        self.config = HostConfig.build(
            app=app,
            app_version=app_version,
            api_version=api_version,
            api_severity=api_severity,
            require_target=require_target,
            enabled=enabled,
            disabled=disabled,
            allow=allow,
            deny=deny,
            required=required,
            strict=strict,
            safe_mode=safe_mode,
            timeout=timeout,
            settings=settings,
            pre_activate=pre_activate,
            environ=os.environ if environ is None else environ,
        )
        self._records: dict[str, _Record] = {}
        self._order: tuple[str, ...] = ()
        self._graph: nx.DiGraph[str] | None = None
        self._needs: Mapping[str, list[str]] = {}
        self._needed_by: dict[str, list[str]] = {}
        self._diagnostics: tuple[Diagnostic, ...] = ()
        self._registry = Registry()
        self._loader = self._load_extension  # one bound method for every handle, not one each
        self._hooks = HookRelay(
            self._registry,
            extensions=lambda point_id: self.extensions(point_id),  # looked up on each use
            plugin_state=lambda plugin_id: self._record(plugin_id).state,
            load=ExtensionHandle.load,
        )
        self._host_points: dict[str, Point] = {}
        self._importer = PluginImporter()
        self._runner = Runner(timeout)
        self._listeners: dict[str, list[Listener]] = {"activated": [], "deactivated": [], "failed": []}
        self._discovered = False
        self._installed: dict[str, str | None] = {}
        self._cache_dir = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) if cache else None
        self._jobs = jobs  # processes that read uncached manifests (manifold.sources.fanout); None: one per CPU
        self.timings: dict[str, float] = {}
        """Seconds the last ``discover``, ``gate`` and ``resolve`` steps took."""
        # Secret values from the settings never reach messages or log records.
        self._redactor = RedactingFilter({v for v in secrets_in(self.config.settings) if len(v) >= 3})
        self._filtered: set[str] = set()  # the loggers that carry the redactor
        # A manager that is never closed takes its redactor off the loggers when it is collected.
        self._unfilter = weakref.finalize(self, _remove_filter, self._redactor, self._filtered)

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        start: str | os.PathLike[str] = ".",
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Manager:
        """A manager configured by ``manifold.toml`` / ``[tool.manifold]`` (at ``path``, or found
        from ``start`` upwards) and the ``MANIFOLD_*`` environment; ``overrides`` win over both."""
        from manifold.config import load_config

        options = {**load_config(path, start=start, environ=environ).options, **overrides}
        return cls(options.pop("sources", ()), **options)

    # ----------------------------------------------------------------- discovery
    def discover(self) -> LoadReport:
        """Read every source, gate and resolve; import nothing. Runs once; see ``rescan``."""
        self._ensure()
        return self.report

    def _ensure(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        began = time.perf_counter()
        with paused(long_lived=True):  # discovery builds long-lived objects only (see manifold.sources.gcpause)
            records, diagnostics = self._read_sources()
            self.timings["discover"] = time.perf_counter() - began
            self._diagnostics = diagnostics
            self._records = records
            logger.addFilter(self._redactor)
            self._filtered.add(logger.name)
            self._resolve()

    def _read_sources(self) -> tuple[dict[str, _Record], tuple[Diagnostic, ...]]:
        records: dict[str, _Record] = {}
        diagnostics: list[Diagnostic] = []
        now = _now()
        cache = ManifestCache(self._cache_dir, [s.name for s in self.sources]) if self._cache_dir else None
        found: list[tuple[Source, ManifestLocation]] = []
        for source in self.sources:
            try:
                found += [(source, location) for location in source.manifests()]
            except SourceError as e:
                diagnostics.append(Diagnostic("warning", "source", str(e), source.name))
        locations = [location for _, location in found]
        # Read in forked processes when there are hundreds to read (never while other threads run).
        everything = (
            cache.parse_all(locations, self._jobs)
            if cache is not None
            else map_manifests(ManifestLocation.read, locations, self._jobs)
        )
        for (source, location), parsed in zip(found, everything, strict=True):
            diagnostics += parsed.diagnostics
            pid = parsed.plugin_id or location.file
            if pid in records:
                winner = records[pid]
                shadowed = _Record(
                    f"{pid}@{location.file}",
                    parsed.manifest,
                    source.name,
                    "filtered",
                    Reason(
                        "shadowed",
                        f"{pid} at {location.file} is shadowed by {winner.source} ({_where(winner)})",
                    ),
                    now,
                    changed_at=now,
                )
                records[shadowed.id] = shadowed
                continue
            record = _Record(pid, parsed.manifest, source.name, "discovered", discovered_at=now, changed_at=now)
            record.stamp = location.stamp if location.stamp is not None else _stamp(location.source)
            if parsed.manifest is None:
                errors = [d for d in parsed.diagnostics if d.severity == "error"]
                first = errors[0].format() if errors else "unreadable"
                more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
                # A refused archive says why (integrity, ...); any other manifest with errors is invalid.
                code: ReasonCode = "invalid"
                for archive_code in ARCHIVE_CODES:
                    if errors and errors[0].code == archive_code:
                        code = archive_code
                record.state, record.reason = "filtered", Reason(code, f"{first}{more}")
            records[pid] = record
        if cache is not None:
            cache.save()
        for pid in sorted(self.config.required | (self.config.enabled or frozenset())):
            if pid not in records:
                records[pid] = _Record(
                    pid, None, None, "filtered", Reason("not-found", f"{pid} is in no source"), changed_at=now
                )
        return records, tuple(diagnostics)

    def _resolve(self) -> None:
        began = time.perf_counter()
        candidates: list[Manifest] = []
        unavailable: dict[str, Reason] = {}
        for record in self._records.values():
            if record.manifest is None or record.state == "filtered":
                if record.reason is not None and record.reason.code != "shadowed":
                    unavailable[record.id] = record.reason
                continue
            reason = gate(record.manifest, self.config, self._installed_version)
            if reason is not None:
                if reason.code == "incompatible-api":
                    logger.warning("%s; skipping it", reason.message)
                self._set(record, "filtered", reason)
                unavailable[record.id] = reason
            else:
                candidates.append(record.manifest)
        candidates = self._claim_points(candidates, unavailable)
        gated = time.perf_counter()
        self.timings["gate"] = gated - began
        resolution = resolve(candidates, unavailable)
        self._needs = resolution.edges
        self._needed_by = dependents(resolution.edges)
        self._graph = None
        for pid, reason in resolution.unresolved.items():
            self._set(self._records[pid], "unresolved", reason)
        self._order = resolution.order
        for index, pid in enumerate(self._order):
            record = self._records[pid]
            if record.state not in _HOLDING_CODE:  # a rescan keeps what is already loaded
                self._set(record, "resolved", None)
            self._register(record, index)
        self.timings["resolve"] = time.perf_counter() - gated

    def _claim_points(self, candidates: list[Manifest], unavailable: dict[str, Reason]) -> list[Manifest]:
        owners: dict[str, str] = {pid: p.plugin or "the host" for pid, p in self._registry.points.items()}
        kept = []
        for manifest in candidates:
            clash = next(
                (p.id for p in manifest.extension_points if owners.get(p.id, manifest.id) != manifest.id),
                None,
            )
            if clash is not None:
                reason = Reason(
                    "duplicate-point",
                    f"{manifest.id} declares point {clash}, already declared by {owners[clash]}",
                )
                self._set(self._records[manifest.id], "unresolved", reason)
                unavailable[manifest.id] = reason
                continue
            owners.update({p.id: manifest.id for p in manifest.extension_points})
            kept.append(manifest)
        return kept

    def _installed_version(self, name: str) -> str | None:
        if name not in self._installed:
            self._installed[name] = installed_version(name)
        return self._installed[name]

    def _register(self, record: _Record, index: int) -> None:
        manifest = record.manifest
        assert manifest is not None
        given = self.config.settings.get(record.id, {})
        record.settings = frozen(apply_defaults(manifest.settings_schema, given))
        for point in manifest.extension_points:
            self._registry.add_point(
                Point(
                    point.id,
                    manifest.id,
                    point.description,
                    point.interface,
                    point.cardinality,
                    point.config_schema,
                    point.hook,
                    point.parameters,
                    point.firstresult,
                )
            )
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
                loader=self._loader,
                wrapper=ext.wrapper,
            )
            self._registry.add(handle)

    # ----------------------------------------------------------------- reading state
    @property
    def report(self) -> LoadReport:
        """A snapshot of every plugin's state and reason (discovering first if needed)."""
        self._ensure()
        return LoadReport(
            MappingProxyType({pid: r.info() for pid, r in self._records.items()}),
            self._order,
            self._diagnostics,
        )

    def inspect(self, plugin_id: str) -> PluginInfo:
        """Everything known about one plugin; raises UnknownPluginError for an id no source has."""
        return self._record(plugin_id).info()

    def plugin(self, plugin_id: str) -> Any:
        """The plugin object of an active plugin (its ``class``), or None when it declares none."""
        return self._record(plugin_id).obj

    def _record(self, plugin_id: str) -> _Record:
        self._ensure()
        try:
            return self._records[plugin_id]
        except KeyError:
            raise UnknownPluginError(plugin_id) from None

    @property
    def load_order(self) -> tuple[str, ...]:
        self._ensure()
        return self._order

    @property
    def graph(self) -> nx.DiGraph[str]:
        """The dependency graph (an edge ``dependency -> dependent``) of the gated plugins, as networkx."""
        self._ensure()
        if self._graph is None:
            self._graph = build_graph(self._needs)
        return self._graph

    # ----------------------------------------------------------------- points and extensions
    def add_point(
        self,
        point_id: str,
        *,
        description: str = "",
        interface: type | None = None,
        config_schema: Mapping[str, Any] | None = None,
        cardinality: Cardinality = "many",
        hook: bool = False,
        parameters: Sequence[str] = (),
        firstresult: bool = False,
    ) -> Callable[[], None]:
        """Declare a point from the host's code; returns the function that removes it again."""
        if cardinality not in ("many", "one"):
            raise ValueError(f'cardinality must be "many" or "one", not {cardinality!r}')
        if config_schema is not None:
            from manifold.manifest.schema import check_schema

            problems = check_schema(dict(config_schema), ("config_schema",))
            if problems:
                raise ValueError(f"point {point_id}: {problems[0].message}")
        point = Point(
            point_id,
            None,
            description,
            interface,
            cardinality,
            config_schema,
            hook,
            tuple(parameters),
            firstresult,
        )
        undo = self._registry.add_point(point)
        self._host_points[point_id] = point

        def remove() -> None:
            undo()
            self._host_points.pop(point_id, None)

        return remove

    def points(self) -> Mapping[str, Point]:
        self._ensure()
        return self._registry.points

    def extensions(self, point_id: str) -> list[ExtensionHandle]:
        """The point's extensions, highest priority first, ties in load order; imports nothing."""
        self._ensure()
        return list(self._registry.extensions(point_id))

    def extension(self, point_id: str) -> ExtensionHandle:
        """The one extension of a point; raises ExtensionError when the point is unknown or empty."""
        handles = self.extensions(point_id)
        point = self._registry.point(point_id)
        if point is None and not handles:
            raise ExtensionError(f"unknown extension point {point_id!r}", point=point_id)
        if not handles:
            raise ExtensionError(f"extension point {point_id!r} has no extensions", point=point_id)
        if len(handles) > 1 and point is not None and point.cardinality == "one":
            logger.warning(
                "point %s takes one extension but has %d (%s); using %s's",
                point_id,
                len(handles),
                ", ".join(h.plugin for h in handles),
                handles[0].plugin,
            )
        return handles[0]

    def _load_extension(self, handle: ExtensionHandle) -> Any:
        """Activate the plugin (dependencies first), check the config, import and check the object."""
        point = self._registry.point(handle.point)
        if not self.activate(handle.plugin):
            reason = self._records[handle.plugin].reason
            raise ExtensionError(
                f"extension of {handle.plugin} to {handle.point} is unavailable: {reason}",
                point=handle.point,
                plugin=handle.plugin,
            )
        try:
            config = self._extension_config(handle, point)
            if handle.ref is None:
                if point is not None and point.hook:
                    self._check_hook(handle, point, config)
                return config
            value = self._importer.load(handle.plugin, handle.ref)
            if inspect.isclass(value):
                value = _construct(value, self._records[handle.plugin].context)
            if point is not None and point.interface is not None:
                self._check_interface(handle, point, value)
            if point is not None and point.hook:
                self._check_hook(handle, point, value)
            return value
        except ExtensionError as e:
            self._fail_extension(handle, str(e), e)
            raise
        except Exception as e:
            message = f"loading {handle.ref} of {handle.plugin} for {handle.point} raised {type(e).__name__}: {e}"
            self._fail_extension(handle, message, e)
            raise ExtensionError(message, point=handle.point, plugin=handle.plugin) from e

    def _extension_config(self, handle: ExtensionHandle, point: Point | None) -> Mapping[str, Any]:
        if point is None or point.config_schema is None:
            return handle.config
        where = ("extensions", handle.index, "config")
        config, problems = check_values(point.config_schema, handle.config, where, "config")
        if problems:
            raise ExtensionError(
                f"{handle.plugin}: {'; '.join(p.message for p in problems)}",
                point=handle.point,
                plugin=handle.plugin,
            )
        handle.config = MappingProxyType(config)
        return handle.config

    def _check_interface(self, handle: ExtensionHandle, point: Point, value: Any) -> None:
        interface = point.interface
        if isinstance(interface, Reference):
            assert point.plugin is not None
            if not self.activate(point.plugin):
                raise ExtensionError(
                    f"the interface of {point.id} cannot be loaded: {point.plugin} is unavailable",
                    point=point.id,
                    plugin=handle.plugin,
                )
            interface = self._importer.load(point.plugin, interface)
        assert isinstance(interface, type)
        ok = issubclass(value, interface) if inspect.isclass(value) else isinstance(value, interface)
        if not ok:
            raise ExtensionError(
                f"{handle.ref} of {handle.plugin} is a {_type_name(value)}, not a {_type_name(interface)} "
                f"as point {point.id} requires",
                point=point.id,
                plugin=handle.plugin,
            )

    def _check_hook(self, handle: ExtensionHandle, point: Point, value: Any) -> None:
        problem = attach_implementation(point, handle, value)  # built once, kept on the handle for the callers
        if problem is not None:
            manifest = self._records[handle.plugin].manifest
            where = manifest.file if manifest is not None else handle.plugin
            raise ExtensionError(f"{where}: {problem}", point=point.id, plugin=handle.plugin)

    def _fail_extension(self, handle: ExtensionHandle, message: str, error: BaseException) -> None:
        handle.error = Reason("failed", message, phase="extension", error=error, traceback=_traceback(error))
        logger.error("%s", message)
        self._hooks.invalidate(handle.point)

    # ----------------------------------------------------------------- hooks
    def hook(self, point_id: str) -> HookCaller:
        """The caller of a hook point: ``manager.hook(point_id)(**kwargs)`` calls its implementations,
        highest priority first, and returns their non-None results (see ``manifold.hooks``).

        Raises ExtensionError when the point is unknown or not a hook.
        """
        self._ensure()
        point = self._registry.point(point_id)
        if point is None:
            raise ExtensionError(f"unknown extension point {point_id!r}", point=point_id)
        if not point.hook:
            message = f"extension point {point_id!r} is not a hook (declare it with hook = true)"
            raise ExtensionError(message, point=point_id)
        return self._hooks.caller(point_id)

    def monitor_hooks(self, *, before: Before | None = None, after: After | None = None) -> Callable[[], None]:
        """Trace every hook call: ``before(hook, impls, kwargs)`` ahead of it, ``after(outcome, hook,
        impls, kwargs)`` after it (``outcome.result`` or ``outcome.exception``). Returns the undo."""
        return self._hooks.monitor(before, after)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> LoadReport:
        """Discover, then activate every eager plugin (and what it needs) in load order."""
        self._ensure()
        if not self.config.safe_mode:
            self._activate_each([pid for pid in self._order if _eager(self._records[pid].manifest)])
        self._check_strict()
        return self.report

    def activate_all(self) -> LoadReport:
        """Activate every resolved plugin in load order."""
        self._ensure()
        self._activate_each(self._order)
        self._check_strict()
        return self.report

    def activate(self, plugin_id: str) -> bool:
        """Activate a plugin and, first, its dependencies; True when it is active afterwards."""
        record = self._record(plugin_id)
        if self._can_activate(record):  # else no trip to the worker: nothing to do
            self._activate_each([plugin_id])
        return record.state == "active"

    def _can_activate(self, record: _Record) -> bool:
        return record.state in _ACTIVATABLE and not self.config.safe_mode

    def _activate_each(self, plugin_ids: Iterable[str]) -> None:
        self._each(self._activate_tree, plugin_ids)

    def _each(self, step: Callable[[str], object], plugin_ids: Iterable[str]) -> None:
        """``step`` each plugin in turn, in one trip to the worker thread when there is a time limit
        (plugin code, listeners and bookkeeping run there in the same order as without one). When
        plugin code overruns the limit, the plugins whose code was running fail with a timeout and a
        new trip goes on with the rest."""
        pending = deque(plugin_ids)

        def body() -> None:
            while pending:
                step(pending[0])
                pending.popleft()

        while pending:
            try:
                self._runner.run(body)
            except CallTimeout as e:
                for record in reversed(e.running):  # innermost first: a plugin activating another
                    if isinstance(record, _Record):
                        self._fail(record, "timeout", e)

    def _activate_tree(self, plugin_id: str) -> bool:
        record = self._records[plugin_id]
        if record.state == "active":
            return True
        if not self._can_activate(record):
            return False
        required = record.manifest.dependencies if record.manifest is not None else {}
        for dep in self._dependencies(plugin_id):
            if not self._activate_tree(dep) and dep in required:
                self._unavailable(record, dep)
                return False
        return self._activate_one(record)

    def _dependencies(self, plugin_id: str) -> list[str]:
        self._ensure()
        return sorted(need for need in self._needs.get(plugin_id, ()) if need in self._needs)

    def _dependents(self, plugin_id: str) -> list[str]:
        self._ensure()
        return self._needed_by.get(plugin_id, [])

    def _activate_one(self, record: _Record) -> bool:
        manifest = record.manifest
        assert manifest is not None
        phase: list[Phase] = ["import"]  # where the plugin's code is, for the report if it raises or hangs

        def build() -> Any:  # import the code and build the plugin object (None without a class)
            ref = manifest.plugin_class
            if ref is None:
                for package in manifest.packages:
                    importlib.import_module(package)
                return None
            cls = self._importer.load(manifest.id, ref)
            phase[0] = "construct"
            return _construct(cls, record.context)

        # Each timed call ends where a timeout can end it: nothing after a call that overran runs.
        try:
            if record.state != "loaded" and record.obj is None:
                self._importer.install()  # on first use: discovery alone leaves sys.meta_path alone
                check_unchanged(manifest.root)  # code in an archive is imported from the file that was checked
                self._importer.add(manifest.id, manifest.packages, manifest.code_root)
                record.context = self._context(record)
                record.obj = self._runner.call(build, record)
            phase[0] = "activate"
            activate = getattr(record.obj, "activate", None)
            if callable(activate):
                self._runner.call(activate, record)
        except (Exception, SystemExit) as e:
            self._fail(record, phase[0], e)
            return False
        record.activated_at = _now()
        record.code_stamp = _code_stamp(manifest)
        self._set(record, "active", None)
        self._hooks.activated(record.id)  # callers compile again; historic hook calls are replayed to it
        self._notify("activated", record)
        return True

    def _context(self, record: _Record) -> PluginContext:
        manifest = record.manifest
        assert manifest is not None
        return PluginContext(
            id=manifest.id,
            version=manifest.version,
            root=manifest.root,
            settings=record.settings,
            logger=self._plugin_logger(manifest.id),
            manifest=manifest,
            app=self.config.app,
            app_version=self.config.app_version,
            api_version=self.config.api_version,
        )

    def _plugin_logger(self, plugin_id: str) -> logging.Logger:
        plugin_logger = logging.getLogger(f"manifold.plugins.{plugin_id}")
        if self._redactor.secrets and self._redactor not in plugin_logger.filters:
            plugin_logger.addFilter(self._redactor)
            self._filtered.add(plugin_logger.name)
        return plugin_logger

    def _fail(self, record: _Record, phase: Phase, error: BaseException) -> None:
        where = "timed out" if phase == "timeout" else f"failed in {phase}"
        detail = str(error) if phase == "timeout" else f"{type(error).__name__}: {error}"
        message = f"{record.id} {where}: {detail}"
        logger.error("%s", message)
        self._set(record, "failed", Reason("failed", message, phase=phase, error=error, traceback=_traceback(error)))
        self._notify("failed", record)
        for handle in self._registry.all_extensions():
            if handle.plugin == record.id:
                handle.forget()
        self._hooks.invalidate()
        record.obj = record.context = None
        self._importer.remove(record.id)  # half-imported modules go too
        self._block_dependents(record.id)

    def _unavailable(self, record: _Record, dep: str) -> None:
        reason = self._records[dep].reason or Reason("failed", f"{dep} is not active")
        self._set(record, "unresolved", unavailable_because(record.id, dep, reason))

    def _block_dependents(self, plugin_id: str) -> None:
        for pid in self._dependents(plugin_id):
            record = self._records[pid]
            if record.state in _ACTIVATABLE:
                manifest = record.manifest
                if manifest is not None and plugin_id not in manifest.dependencies:
                    continue  # an optional dependency: the dependent can do without it
                self._unavailable(record, plugin_id)
                self._block_dependents(pid)

    def deactivate(self, plugin_id: str) -> bool:
        """Deactivate a plugin and, first, its active dependents; True when it is inactive afterwards."""
        record = self._record(plugin_id)
        if record.state == "active":
            self._each(self._deactivate_tree, [plugin_id])
        return record.state in _ACTIVATABLE

    def _deactivate_tree(self, plugin_id: str) -> None:
        record = self._records[plugin_id]
        if record.state != "active":
            return
        for dep in reversed(self._dependents(plugin_id)):
            self._deactivate_tree(dep)
        deactivate = getattr(record.obj, "deactivate", None)
        if callable(deactivate):
            try:
                self._runner.call(deactivate, record)
            except (Exception, SystemExit) as e:
                self._fail(record, "deactivate", e)
                return
        self._set(record, "inactive", None)
        self._hooks.invalidate()
        self._notify("deactivated", record)

    def deactivate_all(self) -> LoadReport:
        """Deactivate every active plugin in reverse load order."""
        self._each(self._deactivate_tree, reversed(self._order))
        return self.report

    def unload(self, plugin_id: str) -> tuple[str, ...]:
        """Deactivate the plugin (dependents first), forget its objects and remove its modules.

        Its extensions and points stay registered (they import it again on use); returns the
        names of the modules removed from ``sys.modules``.
        """
        record = self._record(plugin_id)
        for dep in reversed(self._dependents(plugin_id)):
            if self._records[dep].state in _HOLDING_CODE:
                self.unload(dep)
        self.deactivate(plugin_id)
        record.obj = None
        record.context = None
        for handle in self._registry.all_extensions():
            if handle.plugin == plugin_id:
                handle.forget()
                handle.error = None
        self._hooks.invalidate()
        removed = self._importer.remove(plugin_id)
        if record.state in ("inactive", "loaded"):
            self._set(record, "resolved", None)
        return removed

    def remove(self, plugin_id: str) -> tuple[str, ...]:
        """Unload the plugin and unregister exactly its points and extensions; it stays ``filtered``
        with reason ``removed`` until a rescan finds it again. Returns the modules removed."""
        modules = self.unload(plugin_id)
        record = self._records[plugin_id]
        self._registry.remove_plugins({plugin_id})
        self._set(record, "filtered", Reason("removed", f"{plugin_id} was removed by the host"))
        self._order = tuple(pid for pid in self._order if pid != plugin_id)
        self._block_dependents(plugin_id)
        return modules

    def reload(self, plugin_id: str) -> bool:
        """Unload the plugin and activate it again from its (possibly changed) code."""
        was_active = {
            pid for pid in (plugin_id, *self._all_dependents(plugin_id)) if self._records[pid].state == "active"
        }
        self.unload(plugin_id)
        self._activate_each([plugin_id, *(pid for pid in self._order if pid in was_active and pid != plugin_id)])
        return self._records[plugin_id].state == "active"

    def _all_dependents(self, plugin_id: str) -> set[str]:
        found: set[str] = set()
        todo = [plugin_id]
        while todo:
            for other in self._dependents(todo.pop()):
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return found

    def _check_strict(self) -> None:
        if not self.config.strict:
            return
        missing = {
            pid: self._records[pid].reason if pid in self._records else None
            for pid in self.config.required
            if pid not in self._records or self._records[pid].state != "active"
        }
        if missing:
            raise StrictModeError(missing)

    # ----------------------------------------------------------------- listeners
    def on_activated(self, callback: Listener) -> Callable[[], None]:
        return self._listen("activated", callback)

    def on_deactivated(self, callback: Listener) -> Callable[[], None]:
        return self._listen("deactivated", callback)

    def on_failed(self, callback: Listener) -> Callable[[], None]:
        return self._listen("failed", callback)

    def _listen(self, event: str, callback: Listener) -> Callable[[], None]:
        self._listeners[event].append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners[event]:
                self._listeners[event].remove(callback)

        return unsubscribe

    def _notify(self, event: str, record: _Record) -> None:
        info = record.info()
        for callback in list(self._listeners[event]):
            try:
                callback(info)
            except Exception:
                logger.exception("an on_%s listener raised for %s", event, record.id)

    # ----------------------------------------------------------------- settings, health, rescan
    def settings(self, plugin_id: str) -> Mapping[str, Any]:
        """The plugin's validated settings, defaults filled in."""
        return self._record(plugin_id).settings

    def update_settings(self, plugin_id: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """Validate new settings, keep them, and tell the plugin object (``settings_changed(old, new)``).

        Raises SettingsError listing every problem when they are invalid (the old settings stay).
        """
        record = self._record(plugin_id)
        schema = record.manifest.settings_schema if record.manifest is not None else None
        new, problems = check_values(schema, values, (), "schema")
        if problems:
            raise SettingsError(f"settings of {plugin_id}", [p.message for p in problems], plugin=plugin_id)
        old = record.settings
        record.settings = MappingProxyType(new)
        if record.context is not None:
            record.context = self._context(record)
        changed = getattr(record.obj, "settings_changed", None)
        if callable(changed):
            try:
                self._runner.call(lambda: changed(old, record.settings), record)
            except Exception:
                logger.exception("%s: settings_changed raised", plugin_id)
        return record.settings

    def health(self) -> dict[str, dict[str, Any]]:
        """``{"status": "ok" | "error", ...}`` per active plugin, from its object's optional ``health()``."""
        results: dict[str, dict[str, Any]] = {}
        for pid in self._order:
            record = self._records[pid]
            if record.state != "active":
                continue
            check = getattr(record.obj, "health", None)
            if not callable(check):
                results[pid] = {"status": "ok"}
                continue
            try:
                value = self._runner.call(check, record)
            except (Exception, CallTimeout) as e:
                results[pid] = {"status": "error", "error": f"{type(e).__name__}: {e}"}
                continue
            results[pid] = dict(value) if isinstance(value, Mapping) else {"status": "ok", "detail": value}
            results[pid].setdefault("status", "ok")
        return results

    def rescan(self) -> RescanResult:
        """Read the sources again: unload what disappeared, reload what changed, add what appeared.

        Plugins that were active stay active (changed ones are reloaded, and so are their
        dependents); new eager plugins are activated. Extension handles are made anew.
        """
        self._ensure()
        old = self._records
        was_active = {pid for pid, r in old.items() if r.state == "active"}
        with paused(long_lived=True):
            records, diagnostics = self._read_sources()
        added = tuple(pid for pid in records if pid not in old and records[pid].manifest is not None)
        removed = tuple(pid for pid in old if pid not in records and old[pid].manifest is not None)
        changed = tuple(
            pid
            for pid in records
            if pid in old and records[pid].manifest is not None and self._changed(old[pid], records[pid])
        )
        for pid in (*removed, *changed):
            if old[pid].state in _HOLDING_CODE:
                self.unload(pid)
        self._registry.remove_plugins(old.keys())
        for pid, record in records.items():
            previous = old.get(pid)
            if previous is not None and previous.state in _HOLDING_CODE:
                record.state, record.obj, record.context = previous.state, previous.obj, previous.context
                record.activated_at, record.code_stamp = previous.activated_at, previous.code_stamp
        self._records, self._diagnostics = records, diagnostics
        with paused(long_lived=True):
            self._resolve()
        for pid, previous in old.items():
            if previous.state in _HOLDING_CODE and pid in records and pid not in self._order:
                # still present, but no longer loadable (a dependency went away): let go of it
                self._shut(previous)
        self._activate_each(
            [pid for pid in self._order if pid in was_active or (pid in added and _eager(self._records[pid].manifest))]
        )
        return RescanResult(added, removed, changed)

    def _shut(self, record: _Record) -> None:
        deactivate = getattr(record.obj, "deactivate", None)
        if record.state == "active" and callable(deactivate):
            try:
                self._runner.call(deactivate, record)
            except (Exception, SystemExit, CallTimeout) as e:
                logger.error("%s: deactivate raised %s: %s", record.id, type(e).__name__, e)
        self._importer.remove(record.id)
        self._notify("deactivated", record)

    def _changed(self, old: _Record, new: _Record) -> bool:
        if old.stamp != new.stamp:
            return True
        holds_code = old.manifest is not None and old.state in _HOLDING_CODE
        return holds_code and old.code_stamp != _code_stamp(old.manifest)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- closing
    def close(self) -> None:
        """Deactivate everything, unload every plugin's modules and take the importer off sys.meta_path."""
        if not self._discovered:
            return
        self.deactivate_all()
        for pid in reversed(self._order):
            self._importer.remove(pid)
        self._importer.uninstall()
        self._runner.close()
        self._unfilter()
        for listeners in self._listeners.values():
            listeners.clear()
        self._hooks.close()

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[PluginInfo]:
        self._ensure()
        return iter([r.info() for r in self._records.values()])

    def _set(self, record: _Record, state: State, reason: Reason | None) -> None:
        if reason is not None and self._redactor.secrets:
            reason = dataclasses.replace(reason, message=scrub(reason.message, self._redactor.secrets))
        record.state, record.reason, record.changed_at = state, reason, _now()


_HOLDING_CODE: tuple[State, ...] = ("active", "loaded", "inactive")
_ACTIVATABLE: tuple[State, ...] = ("resolved", "loaded", "inactive")


def _where(record: _Record) -> str:
    return record.manifest.file if record.manifest is not None else record.id


def _stamp(source: Any) -> tuple[int, int] | None:
    """The stamp of the file on disk behind a manifest (a bundle file, an archive, or itself)."""
    try:
        return file_stamp(backing_file(source))
    except TypeError:
        return None


def _code_stamp(manifest: Manifest) -> tuple[int, int]:
    """The number of the plugin's Python files and their latest modification time (0, 0 if unknown)."""
    count = latest = 0
    root = manifest.code_root
    if not isinstance(root, Path):
        return 0, 0  # not a real folder (an archive): its stamp is the manifest's
    for package in manifest.packages:
        for mtime in _python_mtimes(os.path.join(root, package)):
            count += 1
            latest = max(latest, mtime)
    return count, latest


def _python_mtimes(package: str) -> Iterator[int]:
    """The modification times of a package's Python files (every ``.py`` under ``package/``, or ``package.py``)."""
    try:
        entries = list(os.scandir(package))  # a package folder, the usual case, first: a failed call costs more
    except OSError:
        try:
            mtime = os.stat(f"{package}.py").st_mtime_ns
        except OSError:
            return
        yield mtime
        return
    for entry in entries:
        try:
            if entry.name.endswith(".py") and entry.is_file():
                yield entry.stat().st_mtime_ns
            elif entry.is_dir() and entry.name != "__pycache__":
                yield from _python_mtimes(entry.path)
        except OSError:
            continue


def _takes_context(cls: type) -> bool:
    init: Any = getattr(cls, "__init__", None)
    plain = type(cls) is type and getattr(cls, "__new__", None) is object.__new__ and isinstance(init, FunctionType)
    if plain and not hasattr(init, "__wrapped__"):  # a plain class: its __init__'s code says it, without inspect
        code = init.__code__
        required = code.co_argcount - 1 - len(init.__defaults__ or ())
        return required >= 1 or bool(code.co_flags & inspect.CO_VARARGS)
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return False
    params = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(params) >= 1 or any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())


def _eager(manifest: Manifest | None) -> bool:
    return manifest is not None and manifest.activation == "eager"


def _construct(cls: type, context: PluginContext | None) -> Any:
    """An instance of ``cls``, given the plugin's context when its constructor takes an argument."""
    return cls(context) if context is not None and _takes_context(cls) else cls()


def _type_name(value: Any) -> str:
    kind = value if inspect.isclass(value) else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _traceback(error: BaseException) -> str:
    import traceback  # only when something failed

    return "".join(traceback.format_exception(error))


def _remove_filter(redactor: RedactingFilter, names: set[str]) -> None:
    for name in names:
        logging.getLogger(name).removeFilter(redactor)
    names.clear()
