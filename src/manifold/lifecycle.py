"""Running plugin code under a time limit: one reusable daemon worker thread, replaced when a call hangs."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["CallTimeout", "Runner"]


class CallTimeout(Exception):
    """The call did not finish within its time limit (it may still be running in its thread)."""


class _Job:
    __slots__ = ("done", "error", "function", "result")

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


def _finish(value: Any) -> Any:
    """Await what a sync-or-async lifecycle method returned, in a loop of this thread's own."""
    if hasattr(value, "__await__"):  # a coroutine or other awaitable; asyncio is imported only then
        import asyncio

        async def wait() -> Any:
            return await value

        return asyncio.run(wait())
    return value


class Runner:
    """Calls functions with a time limit; ``timeout=None`` calls them in the caller's thread.

    With a limit, calls run one at a time on a daemon worker thread; when one hangs past its
    limit the worker is abandoned (a thread cannot be killed) and a new one takes the next call,
    so a hanging plugin neither blocks the host nor keeps the process from exiting.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[_Job | None] | None = None
        self._lock = threading.Lock()

    def call(self, function: Callable[[], Any]) -> Any:
        """``function()`` (awaited if it returns an awaitable); raises what it raises, or CallTimeout."""
        if self.timeout is None:
            if _loop_running():
                return self._in_thread(function, None)
            return _finish(function())
        return self._in_thread(function, self.timeout)

    def _in_thread(self, function: Callable[[], Any], timeout: float | None) -> Any:
        job = _Job(function)
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=_work, args=(self._jobs,), name="manifold-plugins", daemon=True).start()
            jobs = self._jobs
        jobs.put(job)
        if not job.done.wait(timeout):
            with self._lock:
                if self._jobs is jobs:
                    self._jobs = None  # the worker is stuck in this job; the next call gets a new one
            jobs.put(None)  # let the stuck worker end if the job ever finishes
            raise CallTimeout(f"did not finish within {timeout:g} s")
        if job.error is not None:
            raise job.error
        return job.result

    def close(self) -> None:
        with self._lock:
            if self._jobs is not None:
                self._jobs.put(None)
                self._jobs = None


def _loop_running() -> bool:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # no event loop can run without asyncio imported
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _work(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while True:
        job = jobs.get()
        if job is None:
            return
        try:
            job.result = _finish(job.function())
        except BaseException as e:
            job.error = e
        finally:
            job.done.set()
            del job  # hold no plugin object between calls
