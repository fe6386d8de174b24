"""Time the runtime on generated plugin sets: discover + gate + resolve, activate all, use one point lazily.

Each figure is measured inside a fresh Python process (imports excluded, reported apart), repeated,
and printed as a median with min-max. The plugin sets live on /dev/shm when there is one, so the
file cache does not make runs noisy.

    python benchmarks/runtime_bench.py [--n 1000 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

SNIPPET = r"""
import json, sys, time
t0 = time.perf_counter()
from manifold import Manager
t1 = time.perf_counter()
folder, task = sys.argv[1], sys.argv[2]
timeout = None if task.endswith("-inline") else 20.0
cache = task != "discover-cold"
manager = Manager([folder], environ={}, timeout=timeout, cache=cache, cache_dir=sys.argv[3])
t2 = time.perf_counter()
report = manager.discover()
t3 = time.perf_counter()
result = {"import": t1 - t0, "discover": t3 - t2, "resolved": len(report.order)}
if task.startswith("activate"):
    before = len(sys.modules)
    manager.activate_all()
    t4 = time.perf_counter()
    result["activate"] = t4 - t3
    result["active"] = len(manager.report.active)
    result["modules"] = len(sys.modules) - before
elif task == "lazy":
    points = {}
    for handle in (h for pid in manager.points() for h in manager.extensions(pid)):
        points[handle.point] = points.get(handle.point, 0) + 1
    point = max(sorted(points), key=lambda p: points[p] if points[p] <= 10 else 0)
    before = set(sys.modules)
    t4 = time.perf_counter()
    for handle in manager.extensions(point):
        handle.load()
    t5 = time.perf_counter()
    result["lazy"] = t5 - t4
    result["lazy_extensions"] = points[point]
    new = set(sys.modules) - before
    result["lazy_modules"] = sorted({m.partition(".")[0] for m in new if m.startswith("bench_")})
print(json.dumps(result))
"""


def run(folder: Path, task: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET, str(folder), task, str(folder.parent / "cache")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):8.1f} ms  ({min(ms):.1f}-{max(ms):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    medians: dict[tuple[int, str], float] = {}
    with tempfile.TemporaryDirectory(dir=base, prefix="manifold-runtime-") as tmp:
        for n in args.n:
            folder = Path(tmp) / f"n{n}"
            generate(folder, n, seed=0)
            figures: dict[str, list[float]] = {}
            facts: dict[str, object] = {}
            run(folder, "discover")  # fill the manifest cache
            tasks = ["discover-cold", "discover", "lazy"] + (["activate", "activate-inline"] if n <= 1000 else [])
            for _ in range(args.repeat):
                for task in tasks:  # alternate the tasks, so a noisy moment hits all of them
                    result = run(folder, task)
                    for key, value in result.items():
                        if isinstance(value, float):
                            figures.setdefault(f"{task}:{key}", []).append(value)
                        else:
                            facts[f"{task}:{key}"] = value
            resolved = facts["discover:resolved"]
            print(f"\n{n} plugins ({resolved} resolved), {args.repeat} fresh processes each")
            print(f"  import manifold                          {stats(figures['discover:import'])}")
            cold = figures["discover-cold:discover"]
            print(f"  discover + gate + resolve, cold (no cache) {stats(cold)}")
            print(f"  discover + gate + resolve, warm cache    {stats(figures['discover:discover'])}")
            medians[n, "discover"] = statistics.median(figures["discover:discover"])
            medians[n, "cold"] = statistics.median(cold)
            if "activate:activate" in figures:
                print(
                    f"  activate all, 20 s timeout (worker)     {stats(figures['activate:activate'])}"
                    f"  [{facts['activate:active']} active, {facts['activate:modules']} modules imported]"
                )
                inline = figures["activate-inline:activate"]
                print(f"  activate all, timeout=None (inline)     {stats(inline)}")
            modules = facts["lazy:lazy_modules"]
            assert isinstance(modules, list)
            label = f"use one point ({facts['lazy:lazy_extensions']} extensions)"
            print(f"  {label:<39}{stats(figures['lazy:lazy'])}  [imported {len(modules)} plugin packages]")
    if len(args.n) > 1:
        small, large = min(args.n), max(args.n)
        ratio = medians[large, "discover"] / medians[small, "discover"]
        cold_ratio = medians[large, "cold"] / medians[small, "cold"]
        growth = large / small
        print(
            f"\ngrowth of discover + resolve, {small} -> {large}: "
            f"cold x{cold_ratio:.2f}, warm x{ratio:.2f}, for x{growth:.0f} plugins"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
