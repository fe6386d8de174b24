"""Work split over forked processes gives exactly what one process gives, whatever happens to a child."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold import validate
from manifold.fanout import MIN_ITEMS_PER_JOB, fanout, usable_jobs

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="manifold forks only on Linux")


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@linux_only
def test_results_are_in_order_and_computed_by_several_processes() -> None:
    results = fanout(lambda n: (n * n, os.getpid()), range(1000), jobs=3)
    assert [value for value, _ in results] == [n * n for n in range(1000)]
    pids = [pid for _, pid in results]
    assert len(set(pids)) == 3
    assert pids[0] == os.getpid()
    assert pids[:334] == [os.getpid()] * 334  # this process takes the first chunk, a child each other one
    assert no_children_left()


@linux_only
def test_a_child_that_fails_has_its_chunk_computed_here() -> None:
    parent = os.getpid()

    def only_here(n: int) -> tuple[int, int]:
        if os.getpid() != parent:
            raise RuntimeError("a failure in the child")
        return n, os.getpid()

    assert fanout(only_here, range(500), jobs=2) == [(n, parent) for n in range(500)]
    assert no_children_left()


@linux_only
def test_a_result_that_does_not_pickle_is_computed_here() -> None:
    parent = os.getpid()

    def unpicklable_in_child(n: int) -> object:
        return n if os.getpid() == parent else (lambda: n)

    assert fanout(unpicklable_in_child, range(500), jobs=2) == list(range(500))
    assert no_children_left()


@linux_only
def test_an_error_here_is_raised_and_leaves_no_child_behind() -> None:
    parent = os.getpid()

    def fails_here(n: int) -> int:
        if os.getpid() == parent and n == 10:
            raise ValueError("bad item 10")
        return n

    with pytest.raises(ValueError, match="bad item 10"):
        fanout(fails_here, range(500), jobs=2)
    assert no_children_left()


@linux_only
def test_how_many_processes() -> None:
    cpus = len(os.sched_getaffinity(0))
    assert usable_jobs(5000, 1) == 1
    assert usable_jobs(3, 8) == 3  # never more processes than items
    assert usable_jobs(MIN_ITEMS_PER_JOB - 1) == 1  # too few items to pay for a fork
    assert usable_jobs(MIN_ITEMS_PER_JOB * 64) == min(cpus, 64)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert usable_jobs(5000, 4) == 1  # a fork would copy locks the other thread may hold
    finally:
        stop.set()
        other.join()


def test_usable_jobs_is_one_where_fork_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert usable_jobs(5000, 4) == 1


@linux_only
def test_validate_reports_the_same_with_several_processes(write_plugin: WritePlugin, plugins: Path) -> None:
    """Problems of every kind, in both halves of the set: the report does not depend on ``jobs``."""
    for n in range(400):
        name = f"p{n:03d}"
        version = "1.0-final-x" if n % 97 == 5 else "1.0"  # version errors in both halves
        depends = f'[dependencies]\n"t.p{n - 1:03d}" = ">=1"\n' if n % 50 == 7 else ""
        importer = f"import t_p{n - 2:03d}\n" if n % 61 == 3 else ""  # undeclared imports
        reference = "Missing" if n % 83 == 11 else "Plugin"
        manifest = (
            f'[plugin]\nid = "t.{name}"\nversion = "{version}"\npackages = ["t_{name}"]\n'
            f'class = "t_{name}:{reference}"\n{depends}'
        )
        write_plugin(name, manifest, files={f"t_{name}/__init__.py": f"{importer}class Plugin:\n    pass\n"})
    one = validate([plugins], jobs=1)
    two = validate([plugins], jobs=2)
    assert one == two
    assert {d.code for d in one.diagnostics} == {"version", "missing-object", "undeclared-import"}
    assert len(one.manifests) == 400 - sum(1 for d in one.diagnostics if d.severity == "error")
    assert no_children_left()
