"""The ``manifold`` logger, without importing ``logging`` into a host that never logs.

``logging`` brings ``traceback``, ``string`` and its own set-up into a host's start (about 6 ms of a
whole process on a 2-core machine, a fifth of manifold's own import). Every module of manifold logs
through ``logger`` here, which forwards each call to ``logging.getLogger("manifold")`` and imports
``logging`` when the first record worth making comes:

- a WARNING or above, always (with nothing configured, Python's last-resort handler prints it to stderr,
  as it would have);
- a DEBUG or INFO record only once ``logging`` is imported (by anyone): before that, nobody can have set
  a level or added a handler that keeps it (the root logger's default level, WARNING, drops it), so it
  is dropped without being made, as ``logging`` would drop it.

A record shows the caller's file, line and function, as a direct call would (``stacklevel``). Filters
added before ``logging`` is imported (``addFilter``) are put on the real logger when it is made.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

__all__ = ["LazyLogger", "logger"]

_WARNING = 30  # logging.WARNING


class LazyLogger:
    """The logger named ``name``, made (and ``logging`` imported) on first need; see the module's text."""

    __slots__ = ("_lock", "_pending", "_real", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._real: logging.Logger | None = None
        self._pending: list[Any] = []  # filters added before the real logger was made
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "made" if self._real is not None else "not made yet"
        return f"<LazyLogger {self.name} ({state})>"

    def real(self) -> logging.Logger:
        """The real logger (``logging`` imported, if nobody had yet), with the filters added so far."""
        real = self._real
        if real is None:
            import logging

            with self._lock:
                real = self._real
                if real is None:
                    real = logging.getLogger(self.name)
                    for given in self._pending:
                        real.addFilter(given)
                    self._pending.clear()
                    self._real = real
        return real

    def _made(self, level: int) -> logging.Logger | None:
        """The real logger if a record at ``level`` may be kept by anyone; else None (dropped)."""
        if self._real is not None or level >= _WARNING or "logging" in sys.modules:
            return self.real()
        return None

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(level, msg, args, kwargs)

    def isEnabledFor(self, level: int) -> bool:  # logging.Logger's name
        real = self._made(level)
        return real is not None and real.isEnabledFor(level)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(10, msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(20, msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(30, msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(40, msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._forward(40, msg, args, kwargs)

    def critical(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._forward(50, msg, args, kwargs)

    def _forward(self, level: int, msg: object, args: tuple[object, ...], kwargs: dict[str, Any]) -> None:
        real = self._made(level)
        if real is not None:
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2  # the caller's line: past this and its method
            real.log(level, msg, *args, **kwargs)

    # -- the filters of logging.Filterer, before and after the real logger is made ----------------------

    @property
    def filters(self) -> list[Any]:
        real = self._real
        return list(self._pending) if real is None else real.filters

    def addFilter(self, given: Any) -> None:  # logging.Filterer's name
        with self._lock:
            real = self._real
            if real is None:
                if given not in self._pending:
                    self._pending.append(given)
                return
        real.addFilter(given)

    def removeFilter(self, given: Any) -> None:
        with self._lock:
            real = self._real
            if real is None:
                if given in self._pending:
                    self._pending.remove(given)
                return
        real.removeFilter(given)


logger = LazyLogger("manifold")
"""What every module of manifold logs through (the ``manifold`` logger)."""
