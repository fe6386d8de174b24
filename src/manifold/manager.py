"""The plugin manager: the facade a host uses; discovery, activation and extensions live in ``lifecycle/``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from manifold._log import logger
from manifold._secrets import secrets_of_host_settings
from manifold._values import replace
from manifold.config import HostConfig
from manifold.errors import ExtensionError
from manifold.importer import PluginImporter
from manifold.lifecycle.activation import Activation
from manifold.lifecycle.discovery import Discovery, apply_point_defaults, log_unavailable
from manifold.lifecycle.extensions import ExtensionLoader
from manifold.lifecycle.listeners import Listener
from manifold.lifecycle.records import ACTIVATABLE, LoadReport, Plugins, RescanResult
from manifold.lifecycle.redact import LogRedaction, Secrets
from manifold.lifecycle.runner import HostLock, Runner
from manifold.registry import ExtensionHandle, Point, Registry
from manifold.sources.gcpause import freeze_at_exit, paused
from manifold.sources.locations import Source, anchored, as_source

if TYPE_CHECKING:
    import networkx as nx

    from manifold.hooks import After, Before, HookCaller, HookRelay
    from manifold.lifecycle.points import PointOptions
    from manifold.manifest.model import ExtensionPoint
    from manifold.states import PluginInfo

__all__ = ["LoadReport", "Manager", "RescanResult"]


class Manager:
    """Turns sources of plugin folders into active plugins and ordered extensions.

    ``Manager(sources, config=HostConfig(...), **overrides)``: the host's options are the fields of
    ``HostConfig``, given as a config, as keywords, or both (keywords win). Nothing happens in the
    constructor, and nothing reads the process environment unless the host asks (``from_config``, or
    ``environ=`` for the operator's ``MANIFOLD_ALLOW``/``MANIFOLD_DENY``). ``discover()`` reads, gates
    and resolves (importing no plugin code); ``start()`` also activates the eager plugins;
    ``extensions(point)`` gives handles whose ``load()`` imports a lazy plugin on first use. Every
    failure of one plugin is recorded in ``report`` and never stops the others.

    A manager may be used from many threads: discovery, activation, deactivation, unloading,
    rescans and settings updates hold the manager's re-entrant lock (plugin code that calls the
    manager back from the worker thread enters it too), and readers see the old set of
    extensions or the new one, never a mix (see "Threads" in docs/security.md).
    """

    def __init__(
        self,
        sources: Iterable[str | os.PathLike[str] | Source] = (),
        *,
        config: HostConfig | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> None:
        # Absolute from here on: a plugin's os.chdir() moves no source (names and messages stay as given).
        self.config = HostConfig.build(config, environ=environ, **overrides)
        limits = self.config.manifest_limits
        self.sources: tuple[Source, ...] = tuple(anchored(as_source(s, manifest_limits=limits)) for s in sources)
        self.timings: dict[str, float] = {}
        """Seconds the last ``discover``, ``gate`` and ``resolve`` steps took."""
        # Secret values from the settings never reach reasons, errors, log records or output.
        self._secrets = Secrets(secrets_of_host_settings(self.config.settings))
        self._redaction = LogRedaction(self, self._secrets)
        self._plugins = Plugins(self._secrets)
        self._registry = Registry()
        self._hooks: HookRelay | None = None  # built when the host first asks for a hook
        self._hook_runner = Runner(None)  # runs hook implementations under a time limit, if any
        self._discovery = Discovery(self.sources, self.config, self._registry, self._load_extension, self.timings)
        self._importer = PluginImporter(self._discovery.code_cache())
        runner = Runner(self.config.timeout)
        self._lock = HostLock(runner)
        self._activation = Activation(
            self._plugins, self.config, self._registry, self._importer, runner, self._redaction
        )
        self._extensions = ExtensionLoader(self._activation, self._importer, self._use)
        self._graph: nx.DiGraph[str] | None = None
        self._discovered = False  # discovery has begun (under the lock)
        self._ready = False  # and ended: what readers check without the lock

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
        from ``start`` upwards) and the ``MANIFOLD_*`` variables of ``environ`` (the process
        environment by default); ``overrides`` win over both. The file's ``[[host-points]]`` are
        declared as ``add_point`` declares them."""
        from manifold.config import load_config

        host = load_config(path, start=start, environ=environ)
        options = {**host.options, **overrides}
        manager = cls(options.pop("sources", ()), **options)
        manager.add_points(host.host_points)
        return manager

    # ----------------------------------------------------------------- discovery
    def discover(self) -> LoadReport:
        """Read every source, gate and resolve; import nothing. Runs once; see ``rescan``."""
        self._ensure()
        return self.report

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:  # other threads' first calls wait for the discovery, never see it half done
            if self._discovered:
                return
            self._discovered = True
            try:
                with paused(long_lived=True):  # discovery builds long-lived objects only (see sources/gcpause.py)
                    self._discovery.discover(self._plugins, lambda: self._redaction.watch(logger))
                freeze_at_exit()  # the exit does not walk them all again (see sources/gcpause.py)
                if self.config.log_unavailable:
                    log_unavailable(self._plugins)
            finally:
                self._ready = True

    # ----------------------------------------------------------------- reading state
    @property
    def report(self) -> LoadReport:
        """A snapshot of every plugin's state and reason (discovering first if needed)."""
        self._ensure()
        return self._plugins.report()

    def inspect(self, plugin_id: str) -> PluginInfo:
        """Everything known about one plugin; raises UnknownPluginError for an id no source has."""
        self._ensure()
        return self._plugins[plugin_id].info()

    def plugin(self, plugin_id: str) -> Any:
        """The plugin object of an active plugin (its ``class``), or None when it declares none."""
        self._ensure()
        return self._plugins[plugin_id].obj

    @property
    def load_order(self) -> tuple[str, ...]:
        self._ensure()
        return self._plugins.order

    @property
    def graph(self) -> nx.DiGraph[str]:
        """The dependency graph (an edge ``dependency -> dependent``) of the gated plugins, as networkx."""
        self._ensure()
        if self._graph is None:
            from manifold.graph.order import build_graph

            self._graph = build_graph(self._plugins.needs)
        return self._graph

    def __iter__(self) -> Iterator[PluginInfo]:
        self._ensure()
        return iter([r.info() for r in self._plugins])

    # ----------------------------------------------------------------- points and extensions
    def add_point(self, point_id: str, **options: Unpack[PointOptions]) -> Callable[[], None]:
        """Declare a point from the host's code; returns the function that removes it again.

        ``order`` and ``timeout`` are those of ``[[extension-points]]`` (see docs/hooks.md).
        Raises SettingsError listing every problem of the declaration."""
        from manifold.lifecycle.points import host_point  # a typed dict: building it at import compiles its types

        point = host_point(point_id, **options)
        return self._declare(point)

    def add_points(self, points: Iterable[ExtensionPoint]) -> Callable[[], None]:
        """Declare points the host lists as data (``HostFile.host_points``, a manifest's
        ``extension_points``) as ``add_point`` declares each; returns the function that removes them all."""
        # Checked when they were read (the schema and the rules); the host's, whoever read them.
        undo = [self._declare(replace(Point.of(p), plugin=None)) for p in points]

        def remove() -> None:
            for step in reversed(undo):
                step()

        return remove

    def _declare(self, point: Point) -> Callable[[], None]:
        with self._lock:  # not while a rescan fills its registry aside
            remove = self._registry.add_point(point)
            apply_point_defaults(self._registry, point.id)  # its extensions' config, before load()
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

    # ----------------------------------------------------------------- hooks
    def hook(self, point_id: str) -> HookCaller:
        """The caller of a hook point: ``manager.hook(point_id)(**kwargs)`` calls its implementations,
        highest priority first, and returns their non-None results (see docs/hooks.md).

        Raises ExtensionError when the point is unknown or not a hook.
        """
        self._ensure()
        point = self._registry.point(point_id)
        if point is None:
            raise ExtensionError(f"unknown extension point {point_id!r}", point=point_id)
        if not point.hook:
            message = f"extension point {point_id!r} is not a hook (declare it with hook = true)"
            raise ExtensionError(message, point=point_id)
        return self._relay().caller(point_id)

    def monitor_hooks(self, *, before: Before | None = None, after: After | None = None) -> Callable[[], None]:
        """Trace every hook call: ``before(hook, impls, kwargs)`` ahead of it, ``after(outcome, hook,
        impls, kwargs)`` after it (``outcome.result`` or ``outcome.exception``). Returns the undo."""
        return self._relay().monitor(before, after)

    def _relay(self) -> HookRelay:
        """The hook callers, built on first use: a host that calls no hook imports none of ``hooks/``."""
        hooks = self._hooks
        if hooks is None:
            with self._lock:
                if self._hooks is None:
                    from manifold.hooks import HookRelay

                    self._hooks = self._activation.hooks = HookRelay(
                        self._registry,
                        extensions=lambda point_id: self.extensions(point_id),  # looked up on each use
                        plugin_state=lambda plugin_id: self._plugins[plugin_id].state,
                        load=ExtensionHandle.load,
                        timed=self._hook_runner.limited,
                    )
                hooks = self._hooks
        return hooks

    def _load_extension(self, handle: ExtensionHandle) -> Any:
        """What every extension handle loads with: once, whatever the number of threads asking."""
        with self._lock:
            if handle.loaded:  # another thread loaded it while this one waited
                return handle.load()
            return handle.settle(self._extensions.load(handle))

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> LoadReport:
        """Discover, then activate every eager plugin (and what it needs) in load order."""
        self._ensure()
        with self._lock:
            if not self.config.safe_mode:
                self._activation.activate([pid for pid in self._plugins.order if self._plugins.records[pid].eager])
            self._activation.check_strict()
            return self.report

    def activate_all(self) -> LoadReport:
        """Activate every resolved plugin in load order (lifting every ``deactivate()``)."""
        self._ensure()
        with self._lock:
            for record in self._plugins:
                record.held = False
            self._activation.activate(self._plugins.order)
            self._activation.check_strict()
            return self.report

    def activate(self, plugin_id: str) -> bool:
        """Activate a plugin and, first, its dependencies; True when it is active afterwards.

        Lifts a ``deactivate()`` of the plugin and of the plugins it needs."""
        self._ensure()
        with self._lock:
            record = self._plugins[plugin_id]
            if record.state != "active":
                self._activation.lift(plugin_id)
            return self._use(plugin_id)

    def _use(self, plugin_id: str) -> bool:
        """Activate a plugin for a use (an extension loaded, a hook called): never one the host deactivated."""
        with self._lock:
            record = self._plugins[plugin_id]
            if self._activation.can_activate(record):  # else no trip to the worker: nothing to do
                self._activation.activate([plugin_id])
            return record.state == "active"

    def deactivate(self, plugin_id: str) -> bool:
        """Deactivate a plugin and, first, its active dependents; True when it is inactive afterwards.

        The plugin (active or not yet) stays out until the host's ``activate(id)``: loading one of
        its extensions raises ExtensionError, and hook calls leave it out."""
        self._ensure()
        with self._lock:
            record = self._plugins[plugin_id]
            if record.state == "active":
                self._activation.deactivate([plugin_id])
            if record.state in ACTIVATABLE:
                self._activation.hold(record)
            return record.state in ACTIVATABLE

    def deactivate_all(self) -> LoadReport:
        """Deactivate every active plugin, the last activated first (each one's active dependents before it)."""
        with self._lock:
            self._activation.deactivate(self._plugins.by_activation())
            return self.report

    def unload(self, plugin_id: str) -> tuple[str, ...]:
        """Deactivate the plugin (dependents first), forget its objects and remove its modules.

        Its extensions and points stay registered (they import it again on use); returns the
        names of the modules removed from ``sys.modules``.
        """
        self._ensure()
        with self._lock:
            return self._activation.unload(plugin_id)

    def remove(self, plugin_id: str) -> tuple[str, ...]:
        """Unload the plugin and unregister exactly its points and extensions; it stays ``filtered``
        with reason ``removed`` until a rescan finds it again. Returns the modules removed."""
        from manifold.states import Reason

        with self._lock:
            modules = self.unload(plugin_id)
            self._registry.remove_plugins({plugin_id})
            self._plugins.set_state(
                self._plugins[plugin_id], "filtered", Reason("removed", f"{plugin_id} was removed by the host")
            )
            self._plugins.order = tuple(pid for pid in self._plugins.order if pid != plugin_id)
            self._activation.block_dependents(plugin_id)
            return modules

    def reload(self, plugin_id: str) -> bool:
        """Unload the plugin and activate it again from its (possibly changed) code."""
        self._ensure()
        with self._lock:
            records = self._plugins.records
            was_active = {
                pid for pid in (plugin_id, *self._plugins.all_dependents(plugin_id)) if records[pid].state == "active"
            }
            self.unload(plugin_id)
            self._activation.lift(plugin_id)
            self._activation.activate(
                [plugin_id, *(pid for pid in self._plugins.order if pid in was_active and pid != plugin_id)]
            )
            return records[plugin_id].state == "active"

    # ----------------------------------------------------------------- listeners
    def on_activated(self, callback: Listener) -> Callable[[], None]:
        return self._activation.listeners.listen("activated", callback)

    def on_deactivated(self, callback: Listener) -> Callable[[], None]:
        return self._activation.listeners.listen("deactivated", callback)

    def on_failed(self, callback: Listener) -> Callable[[], None]:
        return self._activation.listeners.listen("failed", callback)

    # ----------------------------------------------------------------- settings, health, rescan
    def settings(self, plugin_id: str) -> Mapping[str, Any]:
        """The plugin's validated settings, defaults filled in."""
        self._ensure()
        return self._plugins[plugin_id].settings

    def update_settings(self, plugin_id: str, values: Mapping[str, Any], *, replace: bool = False) -> Mapping[str, Any]:
        """Merge ``values`` into the plugin's settings (a key left out keeps its value; ``replace=True``:
        ``values`` are the whole settings, defaults filled in), validate and keep them, and tell the
        plugin object (``settings_changed(old, new)``); its ``context.settings`` shows them from then on.

        Raises SettingsError listing every problem when they are invalid (the old settings stay).
        Values under secret keys are secrets from then on, masked like those of the host's settings.
        """
        self._ensure()
        with self._lock:
            return self._activation.update_settings(self._plugins[plugin_id], values, replace=replace)

    def redact(self, value: Any) -> Any:
        """``value`` (a string, or JSON-like data) as it may be shown: every secret the manager knows
        (its settings under secret keys, and those passed to ``update_settings``) masked in every
        string, in any of the forms it prints as."""
        return self._secrets.scrub_data(value)

    def health(self) -> dict[str, dict[str, Any]]:
        """``{"status": "ok" | "error", ...}`` per active plugin, from its object's optional ``health()``."""
        with self._lock:
            return self._activation.health()

    def rescan(self) -> RescanResult:
        """Read the sources again: unload what disappeared, reload what changed, add what appeared.

        Plugins that were active stay active (changed ones are reloaded, and so are their
        dependents); new eager plugins are activated. Extension handles are made anew, in a
        registry filled aside and taken over in one step: a reader in another thread sees the old
        extensions or the new ones, never a mix.
        """
        from manifold.lifecycle.rescan import rescan  # the diff of a rescan: imported by the first one

        self._ensure()
        with self._lock:
            result = rescan(self._plugins, self._registry, self._discovery, self._activation, self.unload)
            self._graph = None
            return result

    # ----------------------------------------------------------------- closing
    def close(self) -> None:
        """Deactivate everything, unload every plugin's modules and take the importer off sys.meta_path."""
        with self._lock:
            if not self._discovered:
                return
            shutdown = self._plugins.by_activation()
            self.deactivate_all()
            records = self._plugins.records
            for pid in [*shutdown, *(pid for pid in reversed(self._plugins.order) if pid not in shutdown)]:
                self._activation.teardown(records[pid])  # once: it lets go of the object
            for pid in reversed(self._plugins.order):
                self._importer.remove(pid)
            self._importer.uninstall()
            if self._importer.code_cache is not None:
                self._importer.code_cache.release()  # what was imported since the last activation
            self._activation.runner.close()
            self._hook_runner.close()
            self._redaction.close()
            self._activation.listeners.clear()
            if self._hooks is not None:
                self._hooks.close()

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
