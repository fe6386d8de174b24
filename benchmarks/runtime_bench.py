"""Time the runtime on generated plugin sets: discover + gate + resolve, activate all, use one point lazily.

Each figure is measured inside a fresh Python process (imports excluded, reported apart), repeated,
and printed as a median with min-max. The plugin sets live on /dev/shm when there is one, so the
file cache does not make runs noisy. A warm-up round, not counted, fills the manifest cache and a
bytecode cache in the temporary folder (``PYTHONPYCACHEPREFIX``), so imports are timed as a host's
second start would have them.

Memory: the timed discovery processes also report their peak RSS growth over the RSS right after
the imports. Separate processes (tracemalloc slows discovery about tenfold, so they are not timed)
start tracemalloc after the imports, discover with the manager kept alive, and report the memory
still held and the peak, per discovered plugin. With two or more sizes, the last lines compare the
largest with the smallest.

    python benchmarks/runtime_bench.py [--n 1000 5000] [--repeat 5] [--memory-detail]
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
from targets import Target, write_targets

GOAL_KIB = 20.0  # memory goal per discovered plugin, with its manifest held
TOP_SITES = 8  # allocation sites shown by --memory-detail

SNIPPET = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from manifold import Manager
t1 = time.perf_counter()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
folder, task = sys.argv[1], sys.argv[2]
timeout = None if task.endswith("-inline") else 20.0
cache = task != "discover-cold"
manager = Manager([folder], environ={}, timeout=timeout, cache=cache, cache_dir=sys.argv[3])
t2 = time.perf_counter()
report = manager.discover()
t3 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
result = {"import": t1 - t0, "discover": t3 - t2, "resolved": len(report.order), "rss": rss * 1024.0}
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

# Memory held by discovery, in its own process: tracemalloc starts after the imports (modules that
# manifold imports on the first discovery are counted), the manager stays alive while measuring.
MEMORY_SNIPPET = r"""
import gc, json, os, sys, sysconfig, tracemalloc
from manifold import Manager
folder, task, cache_dir, top = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tracemalloc.start()
manager = Manager([folder], environ={}, cache=task == "memory-warm", cache_dir=cache_dir)
report = manager.discover()
gc.collect()
current, peak = tracemalloc.get_traced_memory()
result = {"held": float(current), "peak": float(peak)}
if top:
    import manifold
    roots = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    roots |= {os.path.dirname(os.path.dirname(manifold.__file__))}
    stdlib = sysconfig.get_paths()["stdlib"]
    def short(name):
        for root in sorted(roots, key=len, reverse=True):
            if name.startswith(root + os.sep):
                return os.path.relpath(name, root)
        if name.startswith(stdlib + os.sep):
            return "<stdlib>/" + os.path.relpath(name, stdlib)
        return name
    stats = tracemalloc.take_snapshot().statistics("filename")
    result["top"] = [[short(s.traceback[0].filename), s.size, s.count] for s in stats[:top]]
tracemalloc.stop()
result["resolved"] = len(manager.report.order)  # the manager was held until here
print(json.dumps(result))
"""


def _env(tmp: Path) -> dict[str, str]:
    """Children cache bytecode (manifold's and the plugins') under ``tmp``, never beside the sources:
    a host's start after the first is timed, as with an installed package. The warm-up round fills it."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def run(folder: Path, task: str, *extra: str) -> dict[str, object]:
    snippet = MEMORY_SNIPPET if task.startswith("memory") else SNIPPET
    done = subprocess.run(
        [sys.executable, "-c", snippet, str(folder), task, str(folder.parent / "cache"), *extra],
        capture_output=True,
        text=True,
        check=True,
        env=_env(folder.parent),
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):8.1f} ms  ({min(ms):.1f}-{max(ms):.1f})"


def kib_stats(values: list[float], n: int) -> str:
    """Bytes for n plugins as KiB per plugin: median (min-max), and the median total in MB."""
    per = [v / 1024 / n for v in values]
    spread = f"  ({min(per):.1f}-{max(per):.1f})" if len(per) > 1 else ""
    return f"{statistics.median(per):6.1f} KiB/plugin{spread}  [{statistics.median(values) / 1e6:.1f} MB]"


def verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--activate-max",
        type=int,
        default=10000,
        metavar="N",
        help="time activate all only for sets of at most N plugins (default 10000; 0 skips it)",
    )
    parser.add_argument(
        "--memory-repeat",
        type=int,
        default=1,
        metavar="R",
        help="tracemalloc processes per size and mode (default 1: the figures hardly vary)",
    )
    parser.add_argument("--targets", metavar="FILE", help="also write target 8 (two sizes or more) to FILE as JSON")
    parser.add_argument(
        "--memory-detail",
        action="store_true",
        help=f"also show the {TOP_SITES} largest allocation sites (by file) after discovery",
    )
    args = parser.parse_args(argv)
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    medians: dict[tuple[int, str], float] = {}
    sites = str(TOP_SITES if args.memory_detail else 0)
    with tempfile.TemporaryDirectory(dir=base, prefix="manifold-runtime-") as tmp:
        for n in args.n:
            folder = Path(tmp) / f"n{n}"
            generate(folder, n, seed=0)
            figures: dict[str, list[float]] = {}
            facts: dict[str, object] = {}
            activate = 0 < n <= args.activate_max
            tasks = ["discover-cold", "discover", "lazy"] + (["activate", "activate-inline"] if activate else [])
            for task in ["discover", *tasks]:  # warm-up, not counted: the manifest cache, bytecode
                run(folder, task)
            for _ in range(args.repeat):
                for task in tasks:  # alternate the tasks, so a noisy moment hits all of them
                    result = run(folder, task)
                    for key, value in result.items():
                        if isinstance(value, float):
                            figures.setdefault(f"{task}:{key}", []).append(value)
                        else:
                            facts[f"{task}:{key}"] = value
            for _ in range(args.memory_repeat):
                for task in ("memory-cold", "memory-warm"):
                    result = run(folder, task, sites)
                    for key, value in result.items():
                        if isinstance(value, float):
                            figures.setdefault(f"{task}:{key}", []).append(value)
                        else:
                            facts[f"{task}:{key}"] = value
            resolved = facts["discover:resolved"]
            assert isinstance(resolved, int)
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
                medians[n, "activate"] = statistics.median(figures["activate:activate"])
                medians[n, "activate-inline"] = statistics.median(inline)
            else:
                print(f"  activate all: not measured (--activate-max {args.activate_max})")
            modules = facts["lazy:lazy_modules"]
            assert isinstance(modules, list)
            label = f"use one point ({facts['lazy:lazy_extensions']} extensions)"
            print(f"  {label:<39}{stats(figures['lazy:lazy'])}  [imported {len(modules)} plugin packages]")
            medians[n, "lazy"] = statistics.median(figures["lazy:lazy"])

            count = max(resolved, 1)
            goal = f"goal under {GOAL_KIB:g} KiB per discovered plugin with its manifest held"
            print(f"  memory per plugin ({goal}):")
            rows = [
                ("cold", "discover-cold:rss", "peak RSS growth, cold (no cache)"),
                ("warm", "discover:rss", "peak RSS growth, warm cache"),
                ("cold", "memory-cold:held", "tracemalloc held, cold (no cache)"),
                ("warm", "memory-warm:held", "tracemalloc held, warm cache"),
            ]
            for _, key, label in rows:
                per = statistics.median(figures[key]) / 1024 / count
                print(f"    {label:<36}{kib_stats(figures[key], count)}  {verdict(per, GOAL_KIB)}")
                medians[n, key] = statistics.median(figures[key])
            for mode in ("cold", "warm"):
                peak = figures[f"memory-{mode}:peak"]
                label = f"tracemalloc peak, {mode}" + (" (no cache)" if mode == "cold" else " cache")
                print(f"    {label:<36}{kib_stats(peak, count)}")
            print(
                f"    (RSS: after the imports, over the {args.repeat} timed discovery processes; tracemalloc:"
                f" started after the imports, {args.memory_repeat} process each, after gc.collect())"
            )
            if args.memory_detail:
                for mode in ("cold", "warm"):
                    top = facts[f"memory-{mode}:top"]
                    assert isinstance(top, list)
                    held = statistics.median(figures[f"memory-{mode}:held"])
                    print(f"  largest allocation sites after {mode} discovery (by file, of {held / 1e6:.1f} MB held):")
                    for name, size, blocks in top:
                        print(f"    {size / 1e6:7.2f} MB  {100 * size / held:4.1f}%  {blocks:>9} blocks  {name}")
    sizes = sorted(set(args.n))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        ratio = medians[large, "discover"] / medians[small, "discover"]
        cold_ratio = medians[large, "cold"] / medians[small, "cold"]
        growth = large / small
        print(
            f"\ngrowth of discover + resolve, {small} -> {large}: "
            f"cold x{cold_ratio:.2f}, warm x{ratio:.2f}, for x{growth:.0f} plugins"
        )
        limit = growth * 1.1
        print(f"scaling, median {large} over median {small} (goal: at most {growth:g} x 1.1 = {limit:.3g}x)")
        steps = [
            ("cold", "discover + gate + resolve, cold"),
            ("discover", "discover + gate + resolve, warm"),
            ("activate", "activate all (worker)"),
            ("activate-inline", "activate all (inline)"),
            ("lazy", "use one point"),
            ("discover-cold:rss", "memory: peak RSS growth, cold"),
            ("discover:rss", "memory: peak RSS growth, warm"),
            ("memory-cold:held", "memory: tracemalloc held, cold"),
            ("memory-warm:held", "memory: tracemalloc held, warm"),
        ]
        for key, label in steps:
            if (small, key) not in medians or (large, key) not in medians:
                print(f"  {label:<33} not measured at both sizes")
                continue
            step = medians[large, key] / medians[small, key]
            print(f"  {label:<33} ratio {large}/{small} = {step:.2f} (goal ≤ {limit:.3g}x): {verdict(step, limit)}")
        kib = []
        for key, label in steps[-4:]:
            marginal = (medians[large, key] - medians[small, key]) / 1024 / (large - small)
            kib += [marginal, medians[large, key] / 1024 / large, medians[small, key] / 1024 / small]
            print(
                f"  {label:<33} per added plugin, {small} -> {large}: {marginal:.1f} KiB"
                f"  (goal under {GOAL_KIB:g} KiB: {verdict(marginal, GOAL_KIB)})"
            )
        ratios = {key: medians[large, key] / medians[small, key] for key, _ in steps if (large, key) in medians}
        shown = ("cold", "discover", "activate", "activate-inline", "lazy")
        names = ("discover cold", "warm", "activate", "inline", "lazy")
        words = ", ".join(f"{name} {ratios[key]:.1f}x" for key, name in zip(shown, names, strict=True) if key in ratios)
        measured = f"{words}; memory {min(kib):.1f}-{max(kib):.1f} KiB/plugin"
        met = all(r <= limit for r in ratios.values()) and max(kib) < GOAL_KIB
        scaling = Target(
            "8", f"scaling {small} -> {large}; memory per plugin", f"<= {limit:.3g}x; < 20 KiB", measured, met
        )
        write_targets(args.targets, [scaling])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
