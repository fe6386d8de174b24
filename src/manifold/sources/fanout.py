"""Run one function over many items in forked worker processes, in order, falling back to this process.

Validating a large drop-in folder is a loop of independent, CPU-bound steps (read, parse, check
one manifest and its code), so on a machine with several cores it is shared with forked children.
The items are cut into small runs of consecutive items, and each process (this one and every child)
takes the next run not yet taken until none is left: a process slowed by other load takes fewer,
and all end within about one run of each other. A run is taken by reading its number from a pipe
filled before the fork (a read of a few bytes from a pipe is atomic, so no run is taken twice).
Each child sends the results of each of its runs as soon as they are computed, through a pipe of
its own (marshalled where the caller says how to, else pickled), and this process reads what has
arrived between two of its own runs, so that little is left to read once the last run is done. Forking copies the
already-imported modules and compiled validators, so a child starts in about a millisecond.

Forking is used only where it is safe and pays: on Linux, in a process running no other thread
(a fork copies locks held by other threads), for enough items, with more than one usable CPU. The
threads are the system's count (``/proc/self/task``), so one started by C code counts as well: it is
what Python 3.12+ counts before warning that a fork "may lead to deadlocks in the child".
Anything that goes wrong in a child (an exception, a crash, a result that does not pickle) makes
this process compute the runs that child took and did not send, so the result never depends on
whether a fork happened.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["MIN_ITEMS_PER_JOB", "fanout", "usable_jobs"]

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS_PER_JOB = 200
"""Below about this many manifests per process, forking and pickling cost more than they save."""


def usable_jobs(items: int, jobs: int | None = None) -> int:
    """How many processes to use for ``items`` items: ``jobs`` when given (1: no fork), else one per
    usable CPU while each gets at least MIN_ITEMS_PER_JOB items; always 1 where forking is unsafe."""
    if sys.platform != "linux" or _other_threads():
        return 1
    if jobs is None:
        cpus = len(os.sched_getaffinity(0))
        jobs = min(cpus, items // MIN_ITEMS_PER_JOB)
    return max(1, min(jobs, items))


def _other_threads() -> bool:
    """Whether this process runs any thread besides this one (True when that cannot be read)."""
    if threading.active_count() > 1:
        return True
    try:
        return len(os.listdir("/proc/self/task")) != 1
    except OSError:
        return True


def fanout(
    function: Callable[[T], R],
    items: Sequence[T],
    jobs: int | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    remote: Callable[[T], object] | None = None,
    decode: Callable[[T, Any], R] | None = None,
) -> list[R]:
    """``[function(item) for item in items]``, computed by up to ``usable_jobs(len(items), jobs)`` processes.

    ``function`` must not depend on state that it changes (each child changes only its own copy),
    and its results must pickle. ``progress``, called in this process only, gets ``(done, total)``:
    the items computed here and those whose results have arrived from the children, after each item
    computed here (``total`` only once every result is in, in the last call).

    ``remote`` and ``decode``, when given, carry the children's results more cheaply than pickle: a child
    computes ``remote(item)`` instead (what ``marshal`` stores, as a rule: a run that marshal cannot store
    is pickled), and this process gets the result as ``decode(item, sent)``, which must equal
    ``function(item)``; ``remote`` may leave out what ``decode`` builds here anyway.
    """
    count = usable_jobs(len(items), jobs)
    total = len(items)
    if count == 1:
        if progress is None:
            return [function(item) for item in items]
        return _counted(function, items, lambda done: progress(done, total))
    runs = _runs(total, count)
    wire = (remote, decode) if remote is not None and decode is not None else None
    return _Shared(function, items, runs, progress, wire).compute(count - 1)


RUN_ITEMS = 16
"""Items in one run (fewer when there are so many items that the runs would overflow the pipe of their
numbers): small enough that the processes end within a few milliseconds of each other, large enough
that sending a run costs little beside computing it."""

_MAX_RUNS = 4096  # 16 KiB of run numbers: far below a pipe's buffer, so filling it never waits
_RUN = struct.Struct("<I")  # a run's number in the pipe of runs
_FRAME = struct.Struct("<Q")  # the length of what a child sends of one run
_PIPE_SIZE = 1 << 20  # a child's result pipe: a child never waits for this process to read
_MARSHALLED, _PICKLED = b"m", b"p"  # how a frame's run is carried: marshalled, or pickled


def _runs(total: int, count: int) -> list[range]:
    """``range(total)`` cut into consecutive runs."""
    size = max(1, min(RUN_ITEMS, -(-total // (2 * count))), -(-total // _MAX_RUNS))
    return [range(start, min(start + size, total)) for start in range(0, total, size)]


class _Shared(Generic[T, R]):
    """One ``fanout`` over several processes: the runs' pipe, the children, and the results so far."""

    def __init__(
        self,
        function: Callable[[T], R],
        items: Sequence[T],
        runs: list[range],
        progress: Callable[[int, int], None] | None,
        wire: tuple[Callable[[T], object], Callable[[T, Any], R]] | None = None,
    ) -> None:
        self.function, self.items, self.runs, self.progress, self.wire = function, items, runs, progress, wire
        self.results: list[list[R] | None] = [None] * len(runs)
        self.done = 0
        self.children: dict[int, tuple[int, bytearray]] = {}  # read end of its pipe -> (pid, bytes not yet read)

    def compute(self, children: int) -> list[R]:
        import pickle  # here, before the fork, so that the children have it: one process (jobs=1) never needs it

        try:
            read, write = os.pipe()
        except OSError:
            read = write = -1
        if read >= 0:
            try:
                _write_all(write, b"".join(_RUN.pack(i) for i in range(len(self.runs))))
            finally:
                os.close(write)
            try:
                for _ in range(children):
                    self._fork(read, pickle.dumps)
                while (run := _take(read)) is not None:
                    self._run(run)
                    self._receive(pickle.loads, wait=False)
                self._receive(pickle.loads, wait=True)
            except BaseException:
                while _take(read) is not None:  # the children take no other run, and end
                    pass
                for pipe, (pid, _) in self.children.items():
                    os.close(pipe)  # a child still sending gets a broken pipe
                    reap(pid)
                raise
            finally:
                os.close(read)
        for run, done in enumerate(self.results):  # taken by a child that did not send it (or no pipe)
            if done is None:
                self._run(run)
        if self.progress is not None:
            self.progress(len(self.items), len(self.items))
        return [result for done in self.results for result in done]  # type: ignore[union-attr]

    def _run(self, run: int) -> None:
        function, items, progress = self.function, self.items, self.progress
        if progress is None:
            self.results[run] = [function(items[i]) for i in self.runs[run]]
            self.done += len(self.runs[run])
            return
        results: list[R] = []
        total = len(items)
        for i in self.runs[run]:
            results.append(function(items[i]))
            self.done += 1
            progress(min(self.done, total - 1), total)
        self.results[run] = results

    def _fork(self, runs: int, dumps: Callable[..., bytes]) -> None:
        """Start a child that computes runs until none is left, sending each one's results as it ends."""
        for stream in (sys.stdout, sys.stderr):  # a child must not write this process's buffered output again
            if stream is not None:
                with contextlib.suppress(ValueError, OSError):  # closed, or gone: nothing of it to write again
                    stream.flush()
        try:
            read, write = os.pipe()
        except OSError:
            return
        try:
            import fcntl

            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        except (ImportError, AttributeError, OSError):  # a smaller pipe: the child waits for this process to read
            pass
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: never returns
            status = 1
            try:
                os.close(read)
                for pipe in self.children:  # the other children's pipes are this process's to read
                    os.close(pipe)
                compute, items = self.function if self.wire is None else self.wire[0], self.items
                while (run := _take(runs)) is not None:
                    results = [compute(items[i]) for i in self.runs[run]]
                    data = self._marshalled(run, results) or _PICKLED + dumps((run, results), protocol=5)
                    _write_all(write, _FRAME.pack(len(data)) + data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        os.set_blocking(read, False)
        self.children[read] = (pid, bytearray())

    def _marshalled(self, run: int, sent: list[Any]) -> bytes | None:
        """What a child sends of a run when ``remote`` computed it and marshal can store it, else None."""
        if self.wire is None:
            return None
        try:
            return _MARSHALLED + marshal.dumps((run, sent))
        except ValueError:  # a value marshal cannot store (a TOML date): pickled
            return None

    def _decoded(self, frame: memoryview, loads: Callable[[memoryview], Any]) -> tuple[int, list[R]]:
        """The run number and results in one frame a child sent."""
        run, sent = marshal.loads(frame[1:]) if frame[:1] == _MARSHALLED else loads(frame[1:])
        if self.wire is None:
            return run, sent
        decode = self.wire[1]
        return run, [decode(self.items[i], e) for i, e in zip(self.runs[run], sent, strict=True)]

    def _receive(self, loads: Callable[[memoryview], Any], *, wait: bool) -> None:
        """Take in the runs the children have sent; with ``wait``, until every child has ended."""
        for pipe in list(self.children):
            pid, pending = self.children[pipe]
            if wait:
                os.set_blocking(pipe, True)
            ended = False
            while True:
                try:
                    chunk = os.read(pipe, _PIPE_SIZE)
                except BlockingIOError:
                    break
                if not chunk:
                    ended = True
                    break
                pending += chunk
                self._unpack(pending, loads)
            if ended:
                del self.children[pipe]
                os.close(pipe)
                reap(pid)  # what it sent is kept whatever its status: each run arrives whole or not at all

    def _unpack(self, pending: bytearray, loads: Callable[[memoryview], Any]) -> None:
        """Take the whole runs at the start of ``pending`` out of it."""
        while len(pending) >= _FRAME.size:
            (length,) = _FRAME.unpack_from(pending)
            end = _FRAME.size + length
            if len(pending) < end:
                return
            frame = memoryview(bytes(pending[_FRAME.size : end]))
            del pending[:end]
            try:
                run, results = self._decoded(frame, loads)
            except Exception:  # damaged: the run is computed here
                continue
            if not (type(run) is int and 0 <= run < len(self.runs) and self.results[run] is None):
                continue  # not a run this process asked for, or one it has already
            if type(results) is list and len(results) == len(self.runs[run]):
                self.results[run] = results
                self.done += len(results)
                if self.progress is not None:
                    self.progress(min(self.done, len(self.items) - 1), len(self.items))


def _take(runs: int) -> int | None:
    """The number of the next run not yet taken by any process, or None when none is left."""
    data = os.read(runs, _RUN.size)
    return _RUN.unpack(data)[0] if len(data) == _RUN.size else None


def _write_all(pipe: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(pipe, view) :]


def _counted(function: Callable[[T], R], items: Sequence[T], report: Callable[[int], None]) -> list[R]:
    """``[function(item) for item in items]``, calling ``report(done)`` after each item."""
    results: list[R] = []
    for item in items:
        results.append(function(item))
        report(len(results))
    return results


def reap(pid: int) -> int:
    """The exit status of a child; 0 when the host has the system reap its children (SIGCHLD
    ignored): then what the child sent tells whether it finished."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0
