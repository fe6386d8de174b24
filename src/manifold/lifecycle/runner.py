"""Running plugin code under a time limit: trips to a daemon worker thread, watched by the caller.

A trip runs a whole piece of the manager's work (activating many plugins, listeners included) on
the worker, so the caller wakes once per trip instead of twice per plugin. Inside a trip, each
``Runner.call`` of plugin code is timed: the waiting caller holds the deadline of the call that has
run longest and, when it passes, abandons the trip (a thread cannot be killed) and raises
``CallTimeout``, naming what was running. A new worker takes the next trip; the abandoned one stops
at its next call, so a hanging plugin neither blocks the host nor keeps the process from exiting.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import queue

__all__ = ["PROPAGATES", "CallTimeout", "HostLock", "Runner"]


class CallTimeout(Exception):
    """A call did not finish within its time limit (it may still be running in its thread).

    ``running`` holds the labels of the calls in progress, the one that started first first."""

    def __init__(self, message: str, running: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.running = running


class _Abandoned(BaseException):
    """Unwinds a worker whose trip the caller gave up on; nothing in the manager catches it."""


PROPAGATES: tuple[type[BaseException], ...] = (KeyboardInterrupt, _Abandoned)
"""What plugin code may raise that the manager lets through (every other exception fails the plugin):
Ctrl-C, and the unwinding of a trip the caller gave up on."""


class _Trip:
    """One trip to the worker: the function, its outcome, and the timed calls in progress."""

    __slots__ = ("abandoned", "done", "error", "function", "lock", "owner", "result", "running", "timeout")

    def __init__(self, function: Callable[[], Any], owner: Runner, timeout: float | None) -> None:
        self.function = function
        self.owner = owner
        self.timeout = timeout
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.running: list[tuple[float, object]] = []  # (started, label), outermost first
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None

    def timed(self, function: Callable[[], Any], label: object) -> Any:
        """Run ``function`` on this worker, watched by the caller waiting for the trip."""
        with self.lock:
            if self.abandoned:
                raise _Abandoned
            self.running.append((time.monotonic(), label))
        try:
            return _finish(function())
        finally:
            with self.lock:
                if self.abandoned:
                    raise _Abandoned  # the caller has reported this call; nothing may follow it
                self.running.pop()

    def overdue(self, timeout: float) -> float | None:
        """Seconds left before the longest-running call passes ``timeout``; None once it has (and the trip
        is abandoned)."""
        with self.lock:
            if not self.running:
                return timeout  # no plugin code runs: nothing can be overdue before another full timeout
            left = self.running[0][0] + timeout - time.monotonic()
            if left > 0:
                return left
            self.abandoned = True
            return None


class _Local(threading.local):
    trip: _Trip | None = None
    """The trip this worker thread runs (None in every other thread: a class default, read without
    the exception a missing thread-local attribute costs)."""


_local = _Local()

_SIGNAL_CHECK = 0.05
"""Seconds between two looks at the signals while waiting for a trip (see ``Runner._trip``)."""


def _finish(value: Any) -> Any:
    """Await what a sync-or-async lifecycle method returned, in a loop of this thread's own.

    Whether it is awaitable is asked of its type, never of the object: a plugin object answering every
    attribute (a null object, a mock) is not taken for one."""
    if value is not None and _awaitable(value):  # asyncio is imported only then
        import asyncio

        async def wait() -> Any:
            return await value

        return asyncio.run(wait())
    return value


_CO_ITERABLE_COROUTINE = 0x100  # inspect.CO_ITERABLE_COROUTINE, without importing inspect (and ast, dis, tokenize)


def _awaitable(value: Any) -> bool:
    """Whether ``await value`` works: a coroutine, a generator-based coroutine, or an object whose type has
    ``__await__`` (what ``inspect.isawaitable`` answers for every object that can be awaited, without the
    ABC check that costs a subclass walk, and a cache entry, for every new class)."""
    kind = type(value)
    if kind is types.CoroutineType:
        return True
    if kind is types.GeneratorType:
        return bool(value.gi_code.co_flags & _CO_ITERABLE_COROUTINE)
    return getattr(kind, "__await__", None) is not None


class Runner:
    """Runs the manager's work and the plugin code in it; ``timeout=None`` runs both in the caller's thread.

    ``run(body)`` makes one trip: ``body`` runs on the worker thread (under a limit) and every
    ``call(function, label)`` inside it is timed. ``call`` outside a trip makes a trip of its own.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[_Trip | None] | None = None
        self._lock = threading.Lock()

    def run(self, body: Callable[[], Any]) -> Any:
        """``body()``, on the worker unless there is no limit (or this thread is already the worker)."""
        if _local.trip is not None or self._here():
            return body()
        return self._trip(_Trip(body, self, self.timeout))

    def call(self, function: Callable[[], Any], label: object = None) -> Any:
        """``function()`` (awaited if it returns an awaitable), timed; raises what it raises, or CallTimeout."""
        trip: _Trip | None = _local.trip
        if trip is not None:
            return trip.timed(function, label)
        if self._here():
            return _finish(function())
        return self.run(lambda: self.call(function, label))

    def limited(self, function: Callable[[], Any], timeout: float, overrun: Callable[[], BaseException]) -> Any:
        """``function()`` (not awaited) on this runner's worker, timed by ``timeout`` instead of the runner's
        own limit; raises what it raises, or ``overrun()`` when it overran. Called from plugin code running
        in a trip of this runner, it runs in that trip, under that trip's limit (the worker cannot wait
        for itself). The hook callers run each implementation this way (``manifold.hooks``)."""
        trip: _Trip | None = _local.trip
        if trip is not None and trip.owner is self:
            return trip.timed(lambda: (function(),), None)[0]  # boxed: _finish awaits no result
        try:
            return self._trip(_Trip(lambda: self.limited(function, timeout, overrun), self, timeout))
        except CallTimeout:
            raise overrun() from None

    def _here(self) -> bool:
        """Whether work runs in the caller's thread: no limit, and no event loop running in it."""
        return self.timeout is None and not _loop_running()

    def _trip(self, trip: _Trip) -> Any:
        with self._lock:  # queued under the lock: an abandoned worker's queue is emptied under it
            if self._jobs is None:
                self._jobs = _start_worker()
            jobs = self._jobs
            jobs.put(trip)
        timeout = trip.timeout
        while not trip.done.is_set():
            left = None if timeout is None else trip.overdue(timeout)
            if left is None and timeout is not None:  # overdue: the trip is abandoned
                self._replace_worker(jobs)
                running = tuple(label for _, label in trip.running)
                raise CallTimeout(f"did not finish within {timeout:g} s", running)
            try:
                # In short waits: a Ctrl-C the system hands to the worker's thread is only flagged there, and
                # its handler (KeyboardInterrupt) runs in this thread when its wait next returns.
                trip.done.wait(_SIGNAL_CHECK if left is None else min(left, _SIGNAL_CHECK))
            except BaseException:  # Ctrl-C while waiting: no more of this trip's plugin code runs
                with trip.lock:
                    trip.abandoned = True
                self._replace_worker(jobs)
                raise
        if trip.error is not None:
            raise trip.error
        return trip.result

    def _replace_worker(self, stuck: queue.SimpleQueue[_Trip | None]) -> None:
        """The worker of ``stuck`` will run nothing more: trips queued behind the abandoned one (from other
        threads) go to a new worker, and the next trip too."""
        with self._lock:
            if self._jobs is not stuck:
                return
            self._jobs = None
            waiting: list[_Trip] = []
            while not stuck.empty():
                queued = stuck.get_nowait()
                if queued is not None:
                    waiting.append(queued)
            if waiting:
                self._jobs = _start_worker()
                for queued in waiting:
                    self._jobs.put(queued)

    def close(self) -> None:
        with self._lock:
            if self._jobs is not None:
                self._jobs.put(None)
                self._jobs = None


class HostLock:
    """A manager's re-entrant lock, held across the hand-off to its worker thread.

    The thread that holds it may make trips to the worker and wait for them; plugin code running in
    such a trip (on the worker) may call the manager back, so a trip of this lock's runner enters
    without waiting: its maker holds the lock and waits for it. A trip the maker gave up on (a
    timeout, Ctrl-C) enters nothing: it unwinds.
    """

    __slots__ = ("_lock", "_runner")

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._lock = threading.RLock()

    def _in_trip(self) -> bool:
        trip: _Trip | None = _local.trip
        if trip is None or trip.owner is not self._runner:
            return False
        if trip.abandoned:
            raise _Abandoned
        return True

    def __enter__(self) -> None:
        if not self._in_trip():
            self._lock.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: types.TracebackType | None
    ) -> None:
        trip: _Trip | None = _local.trip
        if trip is None or trip.owner is not self._runner:
            self._lock.release()


def _loop_running() -> bool:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # no event loop can run without asyncio imported
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _start_worker() -> queue.SimpleQueue[_Trip | None]:
    try:  # queue.SimpleQueue itself, without the queue module (and heapq) around it: 1.2 ms
        from _queue import SimpleQueue
    except ImportError:  # pragma: no cover - an interpreter without the C module
        from queue import SimpleQueue

    jobs: queue.SimpleQueue[_Trip | None] = SimpleQueue()
    threading.Thread(target=_work, args=(jobs,), name="manifold-plugins", daemon=True).start()
    return jobs


def _work(jobs: queue.SimpleQueue[_Trip | None]) -> None:
    while True:
        trip = jobs.get()
        if trip is None:
            return
        _local.trip = trip
        try:
            trip.result = trip.function()
        except _Abandoned:
            return  # the caller gave up on this trip and moved what waited behind it to a new worker
        except BaseException as e:
            trip.error = e
        finally:
            _local.trip = None
            trip.done.set()
            del trip  # hold no plugin object between trips
