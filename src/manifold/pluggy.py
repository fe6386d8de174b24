"""The pluggy bridge: plugins found through manifests, registered into a host's own ``pluggy.PluginManager``.

For a host that keeps its pluggy hookspecs and calls ``pm.hook.<name>(...)``, this replaces
``pm.load_setuptools_entrypoints(group)``: a plugin lists its pluggy hook implementations in its
manifest, as contributions to the point ``"pluggy"`` whose ``ref`` names the object carrying the
``@hookimpl`` functions (a class, instantiated once with the plugin's context; an object; or a
module the plugin's package imports, e.g. ``ref = "acme_tea:hooks"``)::

    [[extensions]]
    point = "pluggy"
    ref = "acme_tea:hooks"

``register(manager, pm)`` activates those plugins and registers each object into ``pm`` under the
plugin's id, in load order; a plugin that is deactivated, unloaded or fails is unregistered, and
one activated later is registered then. Needs the ``pluggy`` extra (``pluggy>=1.3``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

try:
    import pluggy
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("manifold.pluggy needs pluggy: pip install 'manifold-plugins[pluggy]'") from e

from manifold.errors import ManifoldError
from manifold.registry import ExtensionHandle
from manifold.states import PluginInfo

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = ["POINT", "register"]

POINT = "pluggy"
"""The point whose contributions are objects carrying pluggy hook implementations."""

logger = logging.getLogger("manifold")

_LOADABLE = ("resolved", "loaded", "active")


def register(manager: Manager, pm: pluggy.PluginManager) -> Callable[[], None]:
    """Register the pluggy hook implementations of the manager's plugins into ``pm``, now and as
    plugins come and go; returns the function that unregisters them all and stops following.

    Each contribution to the point ``"pluggy"`` is registered under its plugin's id (with
    ``:<extension id or index>`` appended when a plugin has several). ``pm`` calls the last
    registered implementation first, so the plugin loaded last answers first, as with entry points.
    A contribution pluggy rejects (``PluginValidationError``) is logged and left out.
    """
    remove_point = None
    if POINT not in manager.points():
        remove_point = manager.add_point(
            POINT, description="Objects carrying pluggy hook implementations, registered into the host's pluggy manager"
        )
    names: dict[str, list[str]] = {}  # plugin id -> the names it has in pm, in registration order

    def add(info: PluginInfo) -> None:
        if info.id in names:
            return
        handles = _contributions(manager, info.id)
        names[info.id] = []
        for handle in handles:
            try:
                obj = handle.load()
            except ManifoldError:
                continue  # logged, and the extension marked failed, by the manager
            name = info.id if len(handles) == 1 else f"{info.id}:{handle.id or handle.index}"
            try:
                pm.register(obj, name=name)
            except (pluggy.PluginValidationError, ValueError) as e:
                logger.error("%s: %s cannot be registered into pluggy: %s", info.id, handle.ref, e)
                continue
            names[info.id].append(name)

    def remove(info: PluginInfo) -> None:
        for name in reversed(names.pop(info.id, [])):
            if pm.get_plugin(name) is not None:
                pm.unregister(name=name)

    undo_listeners = [manager.on_activated(add), manager.on_deactivated(remove), manager.on_failed(remove)]
    contributors = {h.plugin for h in manager.extensions(POINT)}
    for plugin_id in manager.load_order:
        if plugin_id not in contributors:
            continue
        info = manager.inspect(plugin_id)
        if info.state == "active":
            add(info)
        elif info.state in _LOADABLE:
            manager.activate(plugin_id)  # registered by the listener (or failed, and left out)

    def undo() -> None:
        for stop in undo_listeners:
            stop()
        for plugin_id in reversed(list(names)):
            remove(manager.inspect(plugin_id))
        if remove_point is not None:
            remove_point()

    return undo


def _contributions(manager: Manager, plugin_id: str) -> list[ExtensionHandle]:
    return sorted((h for h in manager.extensions(POINT) if h.plugin == plugin_id), key=lambda h: h.index)
