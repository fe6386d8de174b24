"""validate(progress=...): the count of manifests read and checked, reported in this process, ending at the total."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tests.conftest import WritePlugin

from manifold import validate
from manifold.sources.fanout import _runs

ROOT = Path(__file__).resolve().parents[1]


def write_many(write_plugin: WritePlugin, count: int) -> None:
    for n in range(count):
        write_plugin(f"p{n:03d}", f'[plugin]\nid = "t.p{n:03d}"\nversion = "1.0"\n')


def test_one_call_per_manifest_ending_at_the_total(write_plugin: WritePlugin, plugins: Path) -> None:
    write_many(write_plugin, 5)
    (plugins / "teatime").mkdir()  # a bundle of three: its members are read in this process, after the others
    shutil.copy(ROOT / "manifests" / "bundle.toml", plugins / "teatime" / "bundle.toml")
    shutil.copytree(ROOT / "manifests" / "members", plugins / "teatime" / "members")
    calls: list[tuple[int, int]] = []
    report = validate(["plugins"], jobs=1, progress=lambda done, total: calls.append((done, total)))
    assert len(report.manifests) == 8
    assert calls == [(done, 8) for done in range(1, 9)]


def test_nothing_to_read_reports_nothing(plugins: Path) -> None:
    calls: list[tuple[int, int]] = []
    validate(["plugins"], progress=lambda done, total: calls.append((done, total)))
    assert calls == []


@pytest.mark.skipif(sys.platform != "linux", reason="manifold forks only on Linux")
def test_with_forked_workers_only_this_process_reports_progress_ending_at_the_total(
    write_plugin: WritePlugin, tmp_path: Path
) -> None:
    write_many(write_plugin, 450)
    log = tmp_path / "calls.txt"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)  # a forked worker writing here would show

    def progress(done: int, total: int) -> None:
        os.write(fd, f"{os.getpid()} {done} {total}\n".encode())

    try:
        report = validate(["plugins"], jobs=3, progress=progress)
    finally:
        os.close(fd)
    assert len(report.manifests) == 450
    calls = [tuple(int(word) for word in line.split()) for line in log.read_text().splitlines()]
    assert {pid for pid, _, _ in calls} == {os.getpid()}
    counts = [done for _, done, _ in calls]
    assert {total for _, _, total in calls} == {450}
    assert counts == sorted(counts)
    assert counts[-1] == 450
    assert max(counts[:-1]) < 450  # the total only once every worker's results are in
    # Once per manifest this process checks, once per run of manifests a worker sends, and at the end.
    steps = {b - a for a, b in zip([0, *counts[:-2]], counts[:-1], strict=True)}
    assert max(steps) <= max(len(run) for run in _runs(450, 3))  # a single manifest here, or a run from a worker
    assert len(calls) < 450
