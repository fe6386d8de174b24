"""Work split over forked processes gives exactly what one process gives, whatever happens to a child."""

from __future__ import annotations

import _thread
import datetime
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

import manifold.sources.fanout
from manifold import Manager, validate
from manifold.sources.fanout import MIN_ITEMS_PER_JOB, _runs, fanout, usable_jobs

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="manifold forks only on Linux")


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def write_many(write_plugin: WritePlugin, count: int) -> None:
    """``count`` small plugins with problems spread over the set: invalid versions, dependents of those,
    references to names their module does not define, imports of undeclared plugins."""
    for n in range(count):
        name = f"p{n:03d}"
        version = "1.0-final-x" if n % 97 == 5 else "1.0"
        depends = f'[dependencies]\n"t.p{n - 1:03d}" = ">=1"\n' if n % 97 == 6 else ""  # on an invalid one
        reference = "Missing" if n % 83 == 11 else "Plugin"
        importer = f"import t_p{n - 2:03d}\n" if n % 61 == 3 else ""
        manifest = (
            f'[plugin]\nid = "t.{name}"\nversion = "{version}"\npackages = ["t_{name}"]\n'
            f'class = "t_{name}:{reference}"\n{depends}'
        )
        write_plugin(name, manifest, files={f"t_{name}/__init__.py": f"{importer}class Plugin:\n    pass\n"})


def slow(n: int) -> tuple[int, int]:
    """``n * n`` and the process that computed it, slowly enough that every process takes runs."""
    time.sleep(0.001)
    return n * n, os.getpid()


@linux_only
def test_results_are_in_order_and_computed_by_several_processes() -> None:
    results = fanout(slow, range(600), jobs=3)
    assert [value for value, _ in results] == [n * n for n in range(600)]
    pids = [pid for _, pid in results]
    assert len(set(pids)) == 3
    assert os.getpid() in pids
    # Each run of consecutive items is computed by one process.
    for run in _runs(600, 3):
        assert len({pids[i] for i in run}) == 1
    assert no_children_left()


@linux_only
def test_a_process_slowed_down_takes_fewer_runs() -> None:
    """Runs are taken as each process is ready for one: a child ten times slower than this process
    computes far fewer of them (with halves fixed in advance it would compute one half)."""
    parent = os.getpid()

    def slower_in_child(n: int) -> int:
        time.sleep(0.0005 if os.getpid() == parent else 0.005)
        return os.getpid()

    pids = fanout(slower_in_child, range(800), jobs=2)
    assert 0 < sum(pid != parent for pid in pids) < 200
    assert no_children_left()


@linux_only
def test_runs_are_small_and_cover_every_item_once() -> None:
    for total, count in ((1000, 2), (7, 4), (33, 2), (100_000, 8)):
        runs = _runs(total, count)
        assert [i for run in runs for i in run] == list(range(total))
        assert len(runs) <= 4096  # their numbers fit in a pipe filled before the fork
        assert len(runs) >= min(total, 2 * count)  # every process has more than one to take


@linux_only
def test_a_child_killed_midway_has_its_runs_computed_here() -> None:
    parent = os.getpid()

    def dies_in_child(n: int) -> int:
        if os.getpid() != parent and n > 100:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.0002)
        return n * 3

    assert fanout(dies_in_child, range(500), jobs=2) == [n * 3 for n in range(500)]
    assert no_children_left()


@linux_only
def test_with_a_small_result_pipe_a_child_waits_and_every_result_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the pipe cannot be made large, a child waits for this process to read between its runs."""
    monkeypatch.setattr(manifold.sources.fanout, "_PIPE_SIZE", 4096)
    payload = "x" * 3000  # a run's results are larger than the pipe
    assert fanout(lambda n: (n, payload), range(400), jobs=2) == [(n, payload) for n in range(400)]
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
    """The first item this process computes raises (which items those are depends on which runs it takes first:
    a child may take the first run); the children stop taking runs, and are reaped."""
    parent = os.getpid()

    def fails_here(n: int) -> int:
        if os.getpid() == parent:
            raise ValueError(f"bad item {n}")
        time.sleep(0.001)  # a child cannot take every run before this process takes one
        return n

    with pytest.raises(ValueError, match="bad item"):
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


@linux_only
def test_a_thread_the_threading_module_does_not_know_also_prevents_forking() -> None:
    # A thread started by C code (or by _thread) holds locks as well; Python 3.12+ warns when os.fork() runs
    # beside one ("This process ... is multi-threaded, use of fork() may lead to deadlocks in the child."),
    # an error under -W error. No fork then, on every Python: all items are computed here.
    started, stop = _thread.allocate_lock(), _thread.allocate_lock()
    started.acquire()
    stop.acquire()

    def wait() -> None:
        started.release()
        stop.acquire(timeout=60)

    _thread.start_new_thread(wait, ())
    assert started.acquire(timeout=10)
    try:
        assert threading.active_count() == 1
        assert usable_jobs(5000, 4) == 1
        assert set(fanout(lambda n: os.getpid(), range(1000), jobs=3)) == {os.getpid()}
    finally:
        stop.release()
    assert no_children_left()


def test_usable_jobs_is_one_where_fork_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert usable_jobs(5000, 4) == 1


@linux_only
def test_validate_reports_the_same_with_several_processes(write_plugin: WritePlugin, plugins: Path) -> None:
    """Problems of every kind, in both halves of the set: the report does not depend on ``jobs``."""
    write_many(write_plugin, 400)
    one = validate([plugins], jobs=1)
    two = validate([plugins], jobs=2)
    assert one == two
    assert {d.code for d in one.diagnostics} == {"version", "dependency-invalid", "missing-object", "undeclared-import"}
    assert len(one.manifests) == 400 - len({d.plugin for d in one.diagnostics if d.severity == "error"})
    assert no_children_left()


def states(manager: Manager) -> dict[str, tuple[str, str | None]]:
    return {
        pid: (info.state, info.reason.message if info.reason else None) for pid, info in manager.report.plugins.items()
    }


@linux_only
def test_discovery_reads_in_several_processes_with_the_same_outcome(
    write_plugin: WritePlugin, plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_many(write_plugin, 400)
    forks: list[int] = []
    real = manifold.sources.fanout._Shared._fork

    def counted(self: object, runs: int, dumps: object) -> None:
        forks.append(os.getpid())
        real(self, runs, dumps)  # type: ignore[arg-type]

    monkeypatch.setattr(manifold.sources.fanout._Shared, "_fork", counted)
    cold = Manager([plugins], environ={}, cache_dir=tmp_path / "cache")
    cold.discover()
    assert len(forks) == min(len(os.sched_getaffinity(0)), 2) - 1  # 400 manifests: 2 processes at most
    monkeypatch.setattr(manifold.sources.fanout, "usable_jobs", lambda items, jobs=None: 1)
    alone = Manager([plugins], environ={}, cache=False)
    alone.discover()
    warm = Manager([plugins], environ={}, cache_dir=tmp_path / "cache")
    warm.discover()
    assert states(cold) == states(alone) == states(warm)

    # The tables the child sent, kept marshalled for the caches, are the manifests a warm start builds.
    def tables(manager: Manager) -> dict[str, object]:
        return {pid: dict(i.manifest.data) for pid, i in manager.report.plugins.items() if i.manifest is not None}

    assert tables(cold) == tables(alone) == tables(warm)
    assert len(tables(warm)) == 400 - 5
    reasons = {pid: info.reason.code for pid, info in cold.report.plugins.items() if info.reason is not None}
    assert reasons == {
        **{f"t.p{n:03d}": "invalid" for n in (5, 102, 199, 296, 393)},
        **{f"t.p{n:03d}": "dependency-unavailable" for n in (6, 103, 200, 297, 394)},
    }
    for manager in (cold, alone, warm):
        manager.close()


@linux_only
def test_a_manager_with_jobs_1_never_forks(
    write_plugin: WritePlugin, plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_many(write_plugin, 400)
    forks: list[object] = []
    monkeypatch.setattr(manifold.sources.fanout._Shared, "_fork", lambda self, runs, dumps: forks.append(runs))
    manager = Manager([plugins], environ={}, cache=False, jobs=1)
    manager.discover()
    assert forks == []
    assert len(manager.report.plugins) == 400
    manager.close()


@linux_only
def test_a_host_that_ignores_sigchld_still_gets_every_result() -> None:
    """With SIGCHLD ignored the system reaps children itself, and waiting for one fails."""
    import signal

    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert fanout(lambda n: n * 2, range(500), jobs=2) == [n * 2 for n in range(500)]
        parent = os.getpid()

        def fails_in_child(n: int) -> int:
            if os.getpid() != parent:
                raise RuntimeError("child")
            return n

        assert fanout(fails_in_child, range(500), jobs=2) == list(range(500))
    finally:
        signal.signal(signal.SIGCHLD, previous)


def test_progress_in_one_process_counts_each_item() -> None:
    calls: list[tuple[int, int]] = []
    assert fanout(lambda n: -n, range(5), jobs=1, progress=lambda *call: calls.append(call)) == [0, -1, -2, -3, -4]
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


@linux_only
def test_progress_with_children_counts_their_results_as_they_arrive() -> None:
    calls: list[tuple[int, int]] = []
    results = fanout(slow, range(600), jobs=3, progress=lambda *call: calls.append(call))
    assert [value for value, _ in results] == [n * n for n in range(600)]
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {600}
    assert done == sorted(done)  # never goes back
    assert calls[-1] == (600, 600)
    assert done[:-1]
    assert max(done[:-1]) < 600
    # Here: one call per item computed here, and one per run received, which adds a whole run at once.
    here = sum(pid == os.getpid() for _, pid in results)
    steps = [b - a for a, b in zip([0, *done[:-2]], done[:-1], strict=True)]
    assert steps.count(1) >= here - 1
    assert any(step > 1 for step in steps)
    assert no_children_left()


@linux_only
def test_results_carried_by_remote_and_decode_equal_the_computed_ones() -> None:
    """A child computes ``remote(item)``, this process ``decode(item, sent)``: what this process gets is what
    ``function`` computes; a run holding a value that marshal cannot store (a date) is pickled, and decoded
    all the same."""
    parent = os.getpid()
    decoded: list[int] = []

    def odd(n: int) -> object:
        return datetime.date(2026, 1, 1) if n == 400 else n * 2

    def compute(n: int) -> tuple[int, object, int]:
        time.sleep(0.0005)
        return n, odd(n), os.getpid()

    def remote(n: int) -> tuple[int, int]:  # leaves out what decode computes here
        time.sleep(0.0005)
        return n, os.getpid()

    def decode(item: int, sent: tuple[int, int]) -> tuple[int, object, int]:
        assert sent[0] == item
        decoded.append(item)
        return item, odd(item), sent[1]

    results = fanout(compute, range(600), jobs=2, remote=remote, decode=decode)
    assert [(n, value) for n, value, _ in results] == [(n, odd(n)) for n in range(600)]
    from_child = {n for n, _, pid in results if pid != parent}
    assert from_child  # the child took runs
    assert set(decoded) == from_child
    assert no_children_left()


@linux_only
def test_a_run_whose_values_marshal_cannot_store_is_pickled() -> None:
    parent = os.getpid()

    def remote(n: int) -> object:
        time.sleep(0.0005)
        return (n, os.getpid(), datetime.date(2026, 1, 1) if n % 50 == 0 else None)

    def compute(n: int) -> object:
        time.sleep(0.0005)
        return (n, parent, None)

    results = fanout(compute, range(600), jobs=2, remote=remote, decode=lambda n, sent: sent)
    assert [n for n, _, _ in results] == list(range(600))
    sent = [(n, date) for n, pid, date in results if pid != parent]
    assert sent  # the child took runs, and those with a date arrived pickled
    assert all(date == (datetime.date(2026, 1, 1) if n % 50 == 0 else None) for n, date in sent)
    assert any(date is not None for _, date in sent)
    assert no_children_left()


@linux_only
def test_a_result_that_does_not_decode_is_computed_here() -> None:
    parent = os.getpid()

    def decode(item: int, wire: object) -> tuple[int, int]:
        raise ValueError("cannot decode")

    def remote(n: int) -> list[int]:
        time.sleep(0.0005)
        return [n, os.getpid()]

    results = fanout(
        lambda n: (time.sleep(0.0005), n, os.getpid())[1:], range(400), jobs=2, remote=remote, decode=decode
    )
    assert results == [(n, parent) for n in range(400)]
    assert no_children_left()


@linux_only
def test_a_closed_or_missing_stdout_does_not_stop_the_children(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    monkeypatch.setattr(sys, "stderr", None)  # pythonw has none
    assert [n for n, _ in fanout(slow, range(300), jobs=2)] == [n * n for n in range(300)]
    assert no_children_left()


@linux_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_manifest_that_cannot_be_built_is_its_files_internal_error_whichever_process_read_it(
    write_plugin: WritePlugin, plugins: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """A child sends a valid file's data, and its manifest is built here: a failure to build it (a fault
    inside manifold) is that file's ``internal-error``, as when this process read it; the others are built."""
    from manifold import Manifest
    from manifold.manifest.parsed import ParsedFile
    from manifold.sources.scan import find_manifests, read_manifests

    write_many(write_plugin, 300)
    real = Manifest.from_data.__func__  # type: ignore[attr-defined]
    built_in: set[int] = set()

    def faulty(cls: type[Manifest], data: dict[str, object], *, file: str, root: object) -> Manifest:
        built_in.add(os.getpid())
        if file.endswith("p150/plugin.toml"):
            raise RuntimeError("boom")
        return real(cls, data, file=file, root=root)  # type: ignore[no-any-return]

    monkeypatch.setattr(Manifest, "from_data", classmethod(faulty))
    received: list[str] = []
    real_wire = ParsedFile.from_wire.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ParsedFile], wire: tuple[object, ...], root: Path) -> ParsedFile:
        received.append(str(wire[0]))
        return real_wire(cls, wire, root)  # type: ignore[no-any-return]

    monkeypatch.setattr(ParsedFile, "from_wire", classmethod(counted))
    found = read_manifests(find_manifests(plugins), jobs=jobs)
    assert bool(received) == (jobs == 2)  # with two processes, the child sent some
    assert built_in == {os.getpid()}  # and never built what it sent
    broken = next(parsed for parsed in found if parsed.file.endswith("p150/plugin.toml"))
    assert broken.manifest is None
    assert [(d.code, d.file) for d in broken.diagnostics] == [("internal-error", broken.file)]
    assert "RuntimeError: boom" in broken.diagnostics[0].message
    valid = {parsed.file for parsed in found if parsed.manifest is not None}
    assert len(valid) == 300 - 1 - len([n for n in range(300) if n % 97 == 5])
    assert no_children_left()
