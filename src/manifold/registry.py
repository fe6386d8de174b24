"""Extension points and the extensions contributed to them, ordered; ``add`` returns its own undo."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, ClassVar

from manifold._values import value_type
from manifold.manifest.model import Cardinality, ExtensionPoint, Order, Reference
from manifold.states import Reason

__all__ = ["ExtensionHandle", "Point", "Registry", "in_order"]


@value_type
class Point:
    """An extension point, declared in a manifest (``plugin`` is its id) or by the host (``plugin`` None).

    ``order``: the order of its extensions (see ``Registry.extensions``); ``timeout``: the seconds
    each implementation of a hook may run in a call (None: no limit)."""

    __slots__: ClassVar[tuple[str, ...]]  # the fields' names, in order (written by @value_type)
    id: str
    plugin: str | None = None
    description: str = ""
    interface: type | Reference | None = None
    cardinality: Cardinality = "many"
    config_schema: Mapping[str, Any] | None = None
    hook: bool = False
    parameters: tuple[str, ...] = ()
    firstresult: bool = False
    order: Order = "priority"
    timeout: float | None = None

    @classmethod
    def of(cls, declared: ExtensionPoint) -> Point:
        """The point a manifest's ``[[extension-points]]`` (or the host's ``[[host-points]]``) declares."""
        return cls(
            declared.id,
            declared.plugin,
            declared.description,
            declared.interface,
            declared.cardinality,
            declared.config_schema,
            declared.hook,
            declared.parameters,
            declared.firstresult,
            declared.order,
            declared.timeout,
        )


class ExtensionHandle:
    """One contribution to a point; ``load()`` imports the referenced object on first use.

    A light handle: reading ``plugin``, ``id``, ``priority`` and ``config`` imports nothing.
    ``error`` is set when loading it failed (it is then left out of the point's extensions).
    ``wrapper`` marks a hook implementation that wraps the others (a generator function).
    ``hook_impl`` holds, for a contribution to a hook, the point and the implementation built from
    the object when it loaded (``manifold.hooks``), so that callers reuse it; it goes with the object.
    """

    __slots__ = (
        "_loader",
        "_value",
        "config",
        "error",
        "hook_impl",
        "id",
        "index",
        "order",
        "plugin",
        "point",
        "priority",
        "ref",
        "wrapper",
    )

    def __init__(
        self,
        *,
        plugin: str,
        point: str,
        index: int,
        ref: Reference | None,
        id: str | None,
        priority: int,
        config: Mapping[str, Any],
        order: int,
        loader: Callable[[ExtensionHandle], Any],
        wrapper: bool = False,
    ) -> None:
        self.plugin = plugin
        self.point = point
        self.index = index
        self.ref = ref
        self.id = id
        self.priority = priority
        self.config = config
        self.order = order
        self.wrapper = wrapper
        self.error: Reason | None = None
        self.hook_impl: tuple[Point, Any] | None = None
        self._loader = loader
        self._value: Any = _UNSET

    @property
    def loaded(self) -> bool:
        return self._value is not _UNSET

    def load(self) -> Any:
        """The contributed object: a class instantiated once, a function as is; for a data-only
        contribution, its config. Activates the plugin first. Raises ExtensionError on failure.

        Loaded once whatever the number of threads: the host's loader holds its lock and keeps the
        object (``settle``) before letting go of it."""
        value = self._value
        if value is _UNSET:
            value = self.settle(self._loader(self))
        return value

    def settle(self, value: Any) -> Any:
        """Keep ``value`` as the loaded object unless one is kept already; the kept one."""
        if self._value is _UNSET:
            self._value = value
        return self._value

    def forget(self) -> None:
        """Drop the loaded object (when its plugin is unloaded)."""
        self._value = _UNSET
        self.hook_impl = None

    def __repr__(self) -> str:
        name = f"{self.plugin}:{self.id}" if self.id else f"{self.plugin}[{self.index}]"
        return f"<extension {name} -> {self.point} priority={self.priority}>"


_UNSET: Any = object()


def in_order(handles: Collection[ExtensionHandle], order: Order) -> tuple[ExtensionHandle, ...]:
    """``handles`` in the ``order`` of their point: highest priority first, ties by registration
    (load order, then manifest order), the first registered first or, ``"last-registered-first"``,
    last."""
    if order == "last-registered-first":
        return tuple(sorted(handles, key=lambda h: (-h.priority, -h.order, -h.index)))
    return tuple(sorted(handles, key=lambda h: (-h.priority, h.order, h.index)))


Later = Callable[[], Iterable[ExtensionHandle]]
"""What builds the extensions of one point, when they are first read (``Registry.fill_later``)."""


class Registry:
    """Points by id and their extensions, highest priority first, ties in load order (or the reverse:
    the point's ``order``)."""

    def __init__(self) -> None:
        self._points: dict[str, Point] = {}
        self._extensions: dict[str, list[ExtensionHandle]] = {}
        self._sorted: dict[str, tuple[ExtensionHandle, ...]] = {}
        self._lock = threading.RLock()
        self._watchers: list[Callable[[str], None]] = []
        self._pending: Callable[[], tuple[Iterable[Point], Mapping[str, Later]]] | None = None
        self._later: dict[str, Later] = {}  # per point, its extensions from ``fill_later``, not yet built

    def watch(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(point_id)`` whenever a point or its extensions change; returns the undo."""
        self._watchers.append(callback)

        def unwatch() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return unwatch

    def _changed(self, point_id: str) -> None:
        for callback in self._watchers:
            callback(point_id)

    def add_point(self, point: Point) -> Callable[[], None]:
        self._settle_points()
        with self._lock:
            if point.id in self._points:
                owner = self._points[point.id].plugin or "the host"
                raise ValueError(f"point {point.id!r} is already declared by {owner}")
            self._points[point.id] = point
            self._sorted.pop(point.id, None)  # its order may differ from the default
        self._changed(point.id)
        return lambda: self.remove_point(point.id)

    def remove_point(self, point_id: str) -> None:
        self._settle_points()
        with self._lock:
            self._points.pop(point_id, None)
            self._sorted.pop(point_id, None)
        self._changed(point_id)

    def point(self, point_id: str) -> Point | None:
        self._settle_points()
        return self._points.get(point_id)

    @property
    def points(self) -> Mapping[str, Point]:
        self._settle_points()
        return dict(self._points)

    def add(self, handle: ExtensionHandle) -> Callable[[], None]:
        self._settle_points()
        with self._lock:
            self._build(handle.point)
            self._extensions.setdefault(handle.point, []).append(handle)
            self._sorted.pop(handle.point, None)
        self._changed(handle.point)
        return lambda: self._discard(handle)

    def fill_later(self, build: Callable[[], tuple[Iterable[Point], Mapping[str, Later]]]) -> None:
        """Have ``build()`` give points (none declared yet) and, by point id, a function that builds that
        point's extensions: the registry takes the points, as ``add_point`` would one by one, when it is
        first read or changed, and a point's extensions, as ``add`` would, when they are first read (or
        when all of them are read or changed). A warm start's, from a snapshot: a start that reads no
        point builds none, and one that uses one point builds the extensions of that point alone. Neither
        ``build`` nor the functions it gives may raise."""
        with self._lock:
            self._pending = build

    def _settle_points(self) -> None:
        """Take in the points ``fill_later`` left to build, if any (before any read or change); each
        point's extensions are left to ``_build``."""
        if self._pending is None:
            return
        with self._lock:  # other threads wait for the whole of it
            build = self._pending
            if build is None:
                return
            points, later = build()
            added = {point.id: point for point in points if point.id not in self._points}
            self._points.update(added)
            self._later.update(later)
            self._sorted.clear()
            changed = list(dict.fromkeys([*added, *later, *self._extensions]))
            self._pending = None
        for point_id in changed:
            self._changed(point_id)

    def _settle(self) -> None:
        """Take in everything ``fill_later`` left to build (before reading or changing every point)."""
        self._settle_points()
        if self._later:
            with self._lock:
                for point_id in list(self._later):
                    self._build(point_id)

    def _build(self, point_id: str) -> None:
        """Take in the extensions of ``point_id`` that ``fill_later`` left to build, if any (under the lock)."""
        build = self._later.pop(point_id, None)
        if build is None:
            return
        handles = list(build())
        listed = self._extensions.get(point_id)
        if listed is None:
            self._extensions[point_id] = handles
        else:
            listed.extend(handles)
        self._sorted.pop(point_id, None)

    def _discard(self, handle: ExtensionHandle) -> None:
        self._settle_points()
        with self._lock:
            self._build(handle.point)
            handles = self._extensions.get(handle.point, [])
            if handle in handles:
                handles.remove(handle)
                self._sorted.pop(handle.point, None)
        self._changed(handle.point)

    def staging(self) -> Registry:
        """A new registry holding the points the host declared (not those of plugins): filled aside, then
        taken over in one step by ``adopt``."""
        self._settle()
        staged = Registry()
        with self._lock:
            staged._points = {pid: p for pid, p in self._points.items() if p.plugin is None}
        return staged

    def adopt(self, staged: Registry) -> None:
        """Take over the points and extensions of ``staged`` in one step: a reader in another thread sees
        the old ones or the new ones, never a mix. Watchers hear of every point whose entries changed."""
        self._settle()
        staged._settle()
        with self._lock:
            old_points, old_extensions = self._points, self._extensions
            self._points, self._extensions, self._sorted = staged._points, staged._extensions, {}
        changed = [
            pid
            for pid in dict.fromkeys([*old_points, *self._points, *old_extensions, *self._extensions])
            if old_points.get(pid) is not self._points.get(pid)
            or old_extensions.get(pid, []) != self._extensions.get(pid, [])
        ]
        for point_id in changed:
            self._changed(point_id)

    def remove_plugins(self, plugins: Collection[str]) -> None:
        """Remove every extension of these plugins and every point they declared (one pass over all)."""
        self._settle()
        changed: list[str] = []
        with self._lock:
            for point_id, handles in self._extensions.items():
                kept = [h for h in handles if h.plugin not in plugins]
                if len(kept) != len(handles):
                    self._extensions[point_id] = kept
                    self._sorted.pop(point_id, None)
                    changed.append(point_id)
            for point_id in [pid for pid, p in self._points.items() if p.plugin in plugins]:
                del self._points[point_id]
                self._sorted.pop(point_id, None)
                changed.append(point_id)
        for point_id in dict.fromkeys(changed):
            self._changed(point_id)

    def extensions(self, point_id: str) -> tuple[ExtensionHandle, ...]:
        """All extensions of the point that have not failed, in order (``()`` for an unknown point):
        highest priority first; ties in load order, then manifest order (``order = "priority"``, the
        default), or the reverse of both (``"last-registered-first"``)."""
        if self._pending is not None:
            self._settle_points()
        if point_id in self._later:
            with self._lock:
                self._build(point_id)
        ordered = self._sorted.get(point_id)
        if ordered is None:
            with self._lock:  # the sorted tuple and the lists it is made from belong to one generation
                point = self._points.get(point_id)
                ordered = in_order(self._extensions.get(point_id, []), "priority" if point is None else point.order)
                self._sorted[point_id] = ordered
        return tuple(h for h in ordered if h.error is None)

    def all_extensions(self) -> tuple[ExtensionHandle, ...]:
        self._settle()
        with self._lock:
            return tuple(h for handles in self._extensions.values() for h in handles)
