"""The host's listeners: callbacks on a plugin's activation, deactivation and failure; subscribing returns the undo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from manifold._log import logger
from manifold.states import PluginInfo

if TYPE_CHECKING:
    from manifold.lifecycle.records import Record

__all__ = ["Event", "Listener", "Listeners"]


Listener = Callable[[PluginInfo], object]
Event = Literal["activated", "deactivated", "failed"]


class Listeners:
    """The host's callbacks on activation, deactivation and failure; subscribing returns the undo."""

    def __init__(self) -> None:
        self._callbacks: dict[Event, list[Listener]] = {"activated": [], "deactivated": [], "failed": []}

    def listen(self, event: Event, callback: Listener) -> Callable[[], None]:
        callbacks = self._callbacks[event]
        callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    def notify(self, event: Event, record: Record) -> None:
        """Call each callback with a snapshot of ``record``; a callback that raises is logged, never propagated."""
        callbacks = self._callbacks[event]
        if not callbacks:
            return  # no snapshot to build: a start without listeners makes none
        info = record.info()
        for callback in list(callbacks):
            try:
                callback(info)
            except Exception:
                logger.exception("an on_%s listener raised for %s", event, record.id)

    def clear(self) -> None:
        for callbacks in self._callbacks.values():
            callbacks.clear()
