"""The pluggy bridge: plugins found through manifests, registered into a host's own ``pluggy.PluginManager``.

For a host that keeps its pluggy hookspecs and calls ``pm.hook.<name>(...)``, this replaces
``pm.load_setuptools_entrypoints(group)``: a plugin lists its pluggy hook implementations in its
manifest, as contributions to the point ``"pluggy"`` whose ``ref`` names the object carrying the
``@hookimpl`` functions: a module (``ref = "acme_tea.hooks"``, as in an entry point), a class
(instantiated once with the plugin's context) or any other object::

    [[extensions]]
    point = "pluggy"
    ref = "acme_tea.hooks"
    config = { name = "tea", hooks = ["kettle_on"] }   # both optional

``register(manager, pm)`` registers those objects into ``pm`` (under ``config.name``, else the
plugin's id) with their distribution metadata, on the caller's thread; a plugin that is
deactivated, unloaded or fails is unregistered, and one activated later is registered then. A
contribution that lists its ``hooks`` is registered as a light proxy and its plugin imported on
the first call of one of them. Needs the ``pluggy`` extra (``pluggy>=1.3``).
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

try:
    import pluggy
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("manifold.pluggy needs pluggy: pip install 'manifold-plugins[pluggy]'") from e

from manifold._log import logger
from manifold.errors import ManifoldError, UsageError
from manifold.manifest.bridge import BRIDGE_CONFIG_SCHEMA, BRIDGE_POINT
from manifold.registry import ExtensionHandle
from manifold.states import PluginInfo

if TYPE_CHECKING:
    from manifold.manager import Manager
    from manifold.manifest.model import Manifest

__all__ = ["CONFIG_SCHEMA", "POINT", "Order", "register"]

POINT = "pluggy"
"""The point whose contributions are objects carrying pluggy hook implementations."""

CONFIG_SCHEMA = BRIDGE_CONFIG_SCHEMA
"""The ``config`` of a contribution to ``"pluggy"``: ``name``, the name it has in ``pm`` (an entry
point's name, so ``pm.get_plugin(name)`` and ``pm.set_blocked(name)`` keep working); ``hooks``, the
hooks it implements, for lazy registration. ``validate`` knows the point and checks it."""

Order = Literal["priority", "registered"]
"""How the bridge orders the plugins it registers (pluggy calls the implementation registered last first):

``"priority"``: the contribution with the highest ``priority`` answers first; among equal priorities
the plugin later in load order answers first (as with entry points registered in load order). The
order holds whenever plugins are registered, deactivated and activated again.
``"registered"``: pluggy's own rule, the last registered answers first; a plugin activated again
answers first; ``priority`` is not read.
"""


_LOADABLE = ("resolved", "loaded", "active")


def register(manager: Manager, pm: pluggy.PluginManager, *, order: Order = "priority") -> Callable[[], None]:
    """Register the pluggy hook implementations of the manager's plugins into ``pm``, now and as
    plugins come and go; returns the function that unregisters them all and stops following.

    Each contribution to the point ``"pluggy"`` is registered under ``config.name``, else its plugin's
    id (with ``:<extension id or index>`` appended when a plugin has several), with its distribution
    (the installed one for a manifest with ``distribution``, else one made of the manifest's id,
    version and description) in ``pm.list_plugin_distinfo()``. Registration, and pluggy's historic
    replays with it, run on the thread that calls ``register`` (or that first calls a lazy hook).
    A contribution pluggy rejects (``PluginValidationError``) is logged and left out.
    """
    if order not in ("priority", "registered"):
        raise UsageError(f"order must be 'priority' or 'registered', not {order!r}")
    return _Bridge(manager, pm, order).start()


@dataclass(slots=True)
class _Entry:
    """One contribution registered into pm: the object (or its lazy proxy) under its name."""

    plugin: str
    name: str
    handle: ExtensionHandle
    obj: object
    lazy: bool


@dataclass
class _Bridge:
    manager: Manager
    pm: pluggy.PluginManager
    order: Order
    entries: dict[str, _Entry] = field(default_factory=dict)  # pm name -> entry
    pending: list[tuple[str, PluginInfo]] = field(default_factory=list)
    deferring: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def start(self) -> Callable[[], None]:
        manager = self.manager
        remove_point = None
        if POINT not in manager.points():
            remove_point = manager.add_point(
                POINT, description=BRIDGE_POINT.description, config_schema=dict(CONFIG_SCHEMA)
            )
        undo_listeners = [
            manager.on_activated(lambda info: self.event("add", info)),
            manager.on_deactivated(lambda info: self.event("remove", info)),
            manager.on_failed(lambda info: self.event("remove", info)),
        ]
        with self.lock:
            contributors = {h.plugin for h in manager.extensions(POINT)}
            for plugin_id in manager.load_order:
                if plugin_id not in contributors:
                    continue
                info = manager.inspect(plugin_id)
                if info.state == "active":
                    self.add(info)
                elif info.state in _LOADABLE and not self.add_lazy(info):
                    self.activate(plugin_id)  # registered when the listener's event is handled, here

        def undo() -> None:
            for stop in undo_listeners:
                stop()
            with self.lock:
                for plugin_id in reversed(dict.fromkeys(e.plugin for e in self.entries.values())):
                    self.remove(plugin_id)
            if remove_point is not None:
                remove_point()

        return undo

    # ------------------------------------------------------------------ events, on the caller's thread
    def event(self, kind: str, info: PluginInfo) -> None:
        """A listener: handled now, or, while this bridge activates a plugin (possibly on manifold's
        worker thread), kept for the thread that asked, which handles it when the activation returns."""
        if self.deferring:
            self.pending.append((kind, info))
            return
        with self.lock:
            self.handle(kind, info)

    def activate(self, plugin_id: str) -> None:
        self.deferring += 1
        try:
            self.manager.activate(plugin_id)
        finally:
            self.deferring -= 1
        while self.pending and not self.deferring:
            kind, info = self.pending.pop(0)
            self.handle(kind, info)

    def handle(self, kind: str, info: PluginInfo) -> None:
        if kind == "add":
            self.add(info)
        else:
            self.remove(info.id)

    # ------------------------------------------------------------------ registration
    def contributions(self, plugin_id: str) -> list[ExtensionHandle]:
        return sorted((h for h in self.manager.extensions(POINT) if h.plugin == plugin_id), key=lambda h: h.index)

    def name_of(self, handle: ExtensionHandle, several: bool) -> str:
        name = handle.config.get("name")
        if isinstance(name, str) and name:
            return name
        return f"{handle.plugin}:{handle.id or handle.index}" if several else handle.plugin

    def add(self, info: PluginInfo) -> None:
        """Register the real objects of an active plugin (replacing its lazy proxies)."""
        handles = self.contributions(info.id)
        for handle in handles:
            name = self.name_of(handle, len(handles) > 1)
            entry = self.entries.get(name)
            if entry is not None and not entry.lazy:
                continue
            try:
                obj = handle.load()
            except ManifoldError:
                continue  # logged, and the extension marked failed, by the manager
            if entry is not None:
                self.unregister(entry)
            self.put(_Entry(info.id, name, handle, obj, lazy=False), info)

    def add_lazy(self, info: PluginInfo) -> bool:
        """Register a proxy for each contribution of a plugin not yet active, when every one of them
        lists its hooks, and those hooks have specs in pm and are not historic; else False."""
        handles = self.contributions(info.id)
        proxies: list[tuple[str, ExtensionHandle, types.ModuleType]] = []
        for handle in handles:
            hooks = handle.config.get("hooks")
            if not isinstance(hooks, Sequence) or isinstance(hooks, str) or not hooks:
                return False
            specs: dict[str, tuple[str, ...]] = {}
            for hook in hooks:
                caller = getattr(self.pm.hook, hook, None) if isinstance(hook, str) else None
                spec = getattr(caller, "spec", None)
                if caller is None or spec is None or caller.is_historic():
                    return False
                specs[hook] = tuple(spec.argnames)
            name = self.name_of(handle, len(handles) > 1)
            proxies.append((name, handle, self.proxy(name, handle, specs)))
        for name, handle, proxy in proxies:
            self.put(_Entry(info.id, name, handle, proxy, lazy=True), info)
        return True

    def proxy(self, name: str, handle: ExtensionHandle, specs: Mapping[str, tuple[str, ...]]) -> types.ModuleType:
        """A module whose functions, marked as implementations of ``specs``, import the plugin on first use."""
        module_name = handle.ref.module if handle.ref is not None else name
        proxy = types.ModuleType(module_name, f"Lazy pluggy hooks of {handle.plugin}, imported on first call")
        marker = pluggy.HookimplMarker(self.pm.project_name)
        for hook, argnames in specs.items():
            setattr(proxy, hook, marker(_forwarder(hook, argnames, self.first_call(name, hook))))
        return proxy

    def first_call(self, name: str, hook: str) -> Callable[[dict[str, Any]], Any]:
        def call(kwargs: dict[str, Any]) -> Any:
            with self.lock:
                entry = self.entries.get(name)
                if entry is not None and entry.lazy:
                    self.activate(entry.plugin)  # the listener's event, handled here, registers the real object
                entry = self.entries.get(name)
            if entry is None or entry.lazy:
                return None  # the plugin is unavailable (its reason is in the manager's report)
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                if impl.plugin is entry.obj:
                    if impl.wrapper or impl.hookwrapper:
                        return None  # a wrapper wraps the calls after this one
                    return impl.function(*[kwargs[a] for a in impl.argnames])
            return None

        return call

    def put(self, entry: _Entry, info: PluginInfo) -> None:
        try:
            self.pm.register(entry.obj, name=entry.name)
        except (pluggy.PluginValidationError, ValueError) as e:
            logger.error("%s: %s cannot be registered into pluggy: %s", entry.plugin, entry.handle.ref, e)
            return
        self.entries[entry.name] = entry
        dist = _distribution(info.manifest)
        if dist is not None:
            _distinfo(self.pm).append((entry.obj, _as_distinfo(self.pm, dist)))
        if self.order == "priority":
            self.reorder(entry.obj)

    def unregister(self, entry: _Entry) -> None:
        self.entries.pop(entry.name, None)
        if self.pm.get_plugin(entry.name) is entry.obj:
            self.pm.unregister(name=entry.name)
        distinfo = _distinfo(self.pm)
        distinfo[:] = [pair for pair in distinfo if pair[0] is not entry.obj]

    def remove(self, plugin_id: str) -> None:
        for entry in reversed([e for e in self.entries.values() if e.plugin == plugin_id]):
            self.unregister(entry)

    def reorder(self, obj: object) -> None:
        """Put the bridge's implementations of each hook ``obj`` implements in the stated order, each
        kind (wrappers, tryfirst, trylast, plain) among the places its kind holds; others stay put."""
        position = {pid: i for i, pid in enumerate(self.manager.load_order)}
        rank = {
            name: (e.handle.priority, position.get(e.plugin, len(position)), e.handle.index)
            for name, e in self.entries.items()
        }
        for caller in self.pm.get_hookcallers(obj) or ():
            impls = caller._hookimpls  # pluggy's list, called from its end; the kinds keep their places
            places: dict[tuple[bool, bool, bool], list[int]] = {}
            for i, impl in enumerate(impls):
                if impl.plugin_name in rank and self.entries[impl.plugin_name].obj is impl.plugin:
                    places.setdefault((impl.wrapper or impl.hookwrapper, impl.tryfirst, impl.trylast), []).append(i)
            for indexes in places.values():
                ranked = sorted((impls[i] for i in indexes), key=lambda impl: rank[impl.plugin_name])
                for i, impl in zip(indexes, ranked, strict=True):
                    impls[i] = impl


def _forwarder(hook: str, argnames: tuple[str, ...], call: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
    """A function named ``hook`` taking ``argnames`` (what pluggy reads from its code) that passes them on."""
    if not all(a.isidentifier() for a in argnames) or not hook.isidentifier():
        raise UsageError(f"hook {hook!r} has arguments that are not names: {argnames!r}")
    source = f"def {hook}({', '.join(argnames)}):\n    return call({{{', '.join(f'{a!r}: {a}' for a in argnames)}}})\n"
    namespace: dict[str, Any] = {"call": call}
    exec(compile(source, f"<manifold lazy hook {hook}>", "exec"), namespace)
    function: Callable[..., Any] = namespace[hook]
    return function


class _ManifestDistribution(importlib.metadata.Distribution):
    """The metadata of a plugin that is no installed distribution: its id, version and description."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest

    def read_text(self, filename: str) -> str | None:
        if filename != "METADATA":
            return None
        m = self._manifest
        summary = " ".join(m.description.split())
        return f"Metadata-Version: 2.1\nName: {m.id}\nVersion: {m.version}\n" + (
            f"Summary: {summary}\n" if summary else ""
        )

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(str(self._manifest.root)) / path


def _distribution(manifest: Manifest | None) -> importlib.metadata.Distribution | None:
    if manifest is None:
        return None
    if manifest.distribution is not None:
        try:
            return importlib.metadata.distribution(manifest.distribution)
        except importlib.metadata.PackageNotFoundError:
            pass  # gating filters such a plugin; its manifest still describes it
    return _ManifestDistribution(manifest)


def _distinfo(pm: pluggy.PluginManager) -> list[tuple[object, Any]]:
    """pluggy's list behind ``list_plugin_distinfo()`` (filled by ``load_setuptools_entrypoints``)."""
    distinfo: list[tuple[object, Any]] = pm._plugin_distinfo
    return distinfo


def _as_distinfo(pm: pluggy.PluginManager, dist: importlib.metadata.Distribution) -> Any:
    if hasattr(pm, "list_plugin_distributions"):  # pluggy >= 1.7 keeps the distribution
        return dist
    from pluggy._manager import DistFacade  # type: ignore[attr-defined,unused-ignore]  # pluggy < 1.7 wraps it

    return DistFacade(dist)
