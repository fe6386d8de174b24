"""Run one function over many items in forked worker processes, in order, falling back to this process.

Validating a large drop-in folder is a loop of independent, CPU-bound steps (read, parse, check
one manifest and its code), so on a machine with several cores it is split into contiguous
chunks: forked children compute all chunks but the first, this process computes the first, then
reads the children's results (pickled, through a pipe). Forking copies the already-imported
modules and compiled validators, so a child starts in about a millisecond.

Forking is used only where it is safe and pays: on Linux, in a process running no other thread
(a fork copies locks held by other threads), for enough items, with more than one usable CPU. The
threads are the system's count (``/proc/self/task``), so one started by C code counts as well: it is
what Python 3.12+ counts before warning that a fork "may lead to deadlocks in the child".
Anything that goes wrong in a child (an exception, a crash, a result that does not pickle) makes
this process compute that chunk itself, so the result never depends on whether a fork happened.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

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
) -> list[R]:
    """``[function(item) for item in items]``, computed by up to ``usable_jobs(len(items), jobs)`` processes.

    ``function`` must not depend on state that it changes (each child changes only its own copy),
    and its results must pickle. ``progress``, called in this process only, gets ``(done, total)``
    after each item: counted in one process; with children, an estimate, this process's share done
    scaled to all items (the children run the same work at about its pace), below ``total`` until
    every child's results are in; the last call is ``(total, total)``.
    """
    count = usable_jobs(len(items), jobs)
    total = len(items)
    if count == 1:
        if progress is None:
            return [function(item) for item in items]
        return _counted(function, items, lambda done: progress(done, total))
    size = -(-len(items) // count)
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    children = [_fork(function, chunk) for chunk in chunks[1:]]
    try:
        if progress is None:
            results = [function(item) for item in chunks[0]]
        else:
            results = _counted(function, chunks[0], lambda done: progress(min(done * total // size, total - 1), total))
    except BaseException:
        for child in children:
            if child is not None:
                _discard(child)
        raise
    for chunk, child in zip(chunks[1:], children, strict=True):
        done: list[R] | None = _collect(child) if child is not None else None
        results += done if done is not None else [function(item) for item in chunk]
    if progress is not None:
        progress(total, total)
    return results


def _counted(function: Callable[[T], R], items: Sequence[T], report: Callable[[int], None]) -> list[R]:
    """``[function(item) for item in items]``, calling ``report(done)`` after each item."""
    results: list[R] = []
    for item in items:
        results.append(function(item))
        report(len(results))
    return results


def _fork(function: Callable[[T], R], chunk: Sequence[T]) -> tuple[int, int] | None:
    """Start a child computing ``chunk``; its pid and the read end of its pipe (``None``: no child)."""
    for stream in (sys.stdout, sys.stderr):  # a child must not write this process's buffered output again
        stream.flush()
    try:
        read, write = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read)
            data = pickle.dumps([function(item) for item in chunk], protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _collect(child: tuple[int, int]) -> list[R] | None:
    """The results a child sent, or ``None`` when it failed."""
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    if _reap(pid) != 0:
        return None
    try:
        results: list[R] = pickle.loads(data)
    except Exception:
        return None
    return results


def _discard(child: tuple[int, int]) -> None:
    """Stop waiting for a child: it gets a broken pipe, exits, and is reaped."""
    pid, read = child
    os.close(read)
    _reap(pid)


def _reap(pid: int) -> int:
    """The exit status of a child; 0 when the host has the system reap its children (SIGCHLD
    ignored): then what the child sent tells whether it finished."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0
