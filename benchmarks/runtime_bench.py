"""Time the runtime on generated plugin sets: discover + gate + resolve, activate all, use one point lazily.

Each figure is measured inside a fresh Python process (imports excluded, reported apart), repeated,
and printed as a median with min-max. The plugin sets live on /dev/shm when there is one, so the
file cache does not make runs noisy. A warm-up round, not counted, fills the manifest cache and a
bytecode cache in the temporary folder (``PYTHONPYCACHEPREFIX``), so imports are timed as a host's
second start would have them.

Memory: the timed discovery processes also report their peak RSS growth over the RSS right after
the imports. Separate processes (tracemalloc slows discovery about tenfold, so they are not timed)
start tracemalloc after ``from manifold import Manager``, keep the manager alive, call gc.collect(),
and report the memory still held ("held") and the peak, per plugin: after discover (cold and warm)
and after discover + activate all (warm cache: every plugin imported and its object built; the
figure of the target). One more process, without manifold, imports the same plugin packages from
their files and builds and activates their objects: what the plugins hold themselves; the difference
is manifold's share. With two or more sizes, the last lines compare the largest with the smallest
(target 7 of the performance issue: every step at most 1.1 times the growth in plugins; the memory
manifold holds after discover + activate all, the plugins' own taken off, under 10 KiB per plugin at
both sizes and per added plugin).

    python benchmarks/runtime_bench.py [--n 1000 10000] [--repeat 5] [--memory-detail]
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

GOAL_KIB = 10.0  # memory goal per plugin: held after discover + activate all (tracemalloc, after gc.collect())
MEMORY_TASKS = ("memory-cold", "memory-warm", "memory-active", "memory-plugins")
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

# Memory held, in its own process: tracemalloc starts after ``from manifold import Manager`` (modules that
# manifold imports later are counted), the manager stays alive while measuring, after a gc.collect().
# memory-cold / memory-warm: after discover (no cache / warm cache); memory-active: after discover (warm
# cache) and activate_all(), every plugin imported and its object built; memory-plugins: no manifold, the
# same plugin packages imported from their files in load order and their objects built and activated
# (what the plugins hold themselves).
MEMORY_SNIPPET = r"""
import gc, json, os, sys, sysconfig, tracemalloc
from manifold import Manager
folder, task, cache_dir, top = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if task == "memory-plugins":
    import importlib.util
    from types import SimpleNamespace
    tracemalloc.start()
    objects = []
    for name in sorted(os.listdir(folder)):  # p0001 ...: a plugin needs only lower-numbered ones
        package = "bench_" + name
        spec = importlib.util.spec_from_file_location(package, os.path.join(folder, name, package, "__init__.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        spec.loader.exec_module(module)
        plugin = module.Plugin(SimpleNamespace(app="bench"))
        plugin.activate()
        objects.append(plugin)
    count = len(objects)
else:
    tracemalloc.start()
    manager = Manager([folder], environ={}, cache=task != "memory-cold", cache_dir=cache_dir)
    report = manager.discover()
    if task == "memory-active":
        manager.activate_all()
    count = len(manager.report.active) if task == "memory-active" else len(report.order)
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
result["count"] = count  # resolved, active or built; the manager (or the objects) held until here
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
    parser.add_argument("--targets", metavar="FILE", help="also write target 7 (two sizes or more) to FILE as JSON")
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
                for task in MEMORY_TASKS:
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
            print(
                f"  memory held per plugin, tracemalloc, after gc.collect(), the manager alive ({args.memory_repeat}"
                " process each; tracing from after `from manifold import Manager`, later imports counted):"
            )
            rows = [
                ("memory-active:held", "held after discover + activate all, warm", "in all"),
                ("memory-plugins:held", "  of which the plugins' own (no manifold)", "the same packages and objects"),
                ("memory-warm:held", "held after discover, warm cache", ""),
                ("memory-cold:held", "held after discover, cold (no cache)", ""),
                ("discover:rss", "peak RSS growth in discover, warm", "over the RSS after the imports"),
                ("discover-cold:rss", "peak RSS growth in discover, cold", ""),
            ]
            for key in (key for key, _, _ in rows):
                medians[n, key] = statistics.median(figures[key])
            own = (medians[n, "memory-active:held"] - medians[n, "memory-plugins:held"]) / 1024 / count
            medians[n, "manifold-kib"] = own
            for key, label, note in rows:
                print(f"    {label:<44}{kib_stats(figures[key], count)}  {note}".rstrip())
                if key == "memory-plugins:held":
                    print(f"    {'  of which manifold':<44}{own:6.1f} KiB/plugin  the target figure")
            for mode in ("cold", "warm", "active"):
                peak = figures[f"memory-{mode}:peak"]
                print(f"    {'tracemalloc peak, ' + mode:<44}{kib_stats(peak, count)}")
            if args.memory_detail:
                for mode in ("cold", "warm", "active"):
                    top = facts[f"memory-{mode}:top"]
                    assert isinstance(top, list)
                    held = statistics.median(figures[f"memory-{mode}:held"])
                    print(f"  largest allocation sites, memory-{mode} (by file, of {held / 1e6:.1f} MB held):")
                    for name, size, blocks in top:
                        print(f"    {size / 1e6:7.2f} MB  {100 * size / held:4.1f}%  {blocks:>9} blocks  {name}")
    sizes = sorted(set(args.n))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        growth = large / small
        limit = growth * 1.1
        print(f"\nscaling, median {large} over median {small} (goal: at most {growth:g} x 1.1 = {limit:.3g}x)")
        steps = [
            ("cold", "discover + gate + resolve, cold"),
            ("discover", "discover + gate + resolve, warm"),
            ("activate", "activate all (worker)"),
            ("activate-inline", "activate all (inline)"),
            ("lazy", "use one point"),
            ("memory-active:held", "memory held, discover + activate"),
            ("memory-warm:held", "memory held, discover, warm"),
            ("memory-cold:held", "memory held, discover, cold"),
        ]
        ratios: dict[str, float] = {}
        for key, label in steps:
            if (small, key) not in medians or (large, key) not in medians:
                print(f"  {label:<36} not measured at both sizes")
                continue
            ratios[key] = step = medians[large, key] / medians[small, key]
            print(f"  {label:<36} ratio {large}/{small} = {step:.2f} (goal <= {limit:.3g}x): {verdict(step, limit)}")
        held, plugins = "memory-active:held", "memory-plugins:held"

        def kib(key: str) -> dict[str, float]:
            """Per plugin at each size, and per added plugin."""
            added = (medians[large, key] - medians[small, key]) / 1024 / (large - small)
            return {
                str(small): medians[small, key] / 1024 / small,
                str(large): medians[large, key] / 1024 / large,
                "added": added,
            }

        total, own = kib(held), kib(plugins)
        share = {key: total[key] - own[key] for key in total}
        print("  memory held after discover + activate all, KiB per plugin (tracemalloc, after gc.collect()):")
        for label, values in (("in all", total), ("the plugins' own", own), ("manifold's share", share)):
            at = f"{values[str(small)]:.1f} at {small}, {values[str(large)]:.1f} at {large}"
            print(f"    {label:<18} {at}, {values['added']:.1f} per added")
        worst = max(share.values())
        print(
            f"    goal: manifold's share under {GOAL_KIB:g} KiB at both sizes and per added plugin: "
            f"{'met' if worst < GOAL_KIB else 'NOT met'}"
        )
        shown = ("cold", "discover", "activate", "activate-inline", "lazy", held)
        names = ("discover cold", "warm", "activate", "inline", "lazy", "memory")
        words = ", ".join(f"{name} {ratios[key]:.1f}x" for key, name in zip(shown, names, strict=True) if key in ratios)
        memory = (
            f"manifold holds {share[str(small)]:.1f}/{share[str(large)]:.1f}/{share['added']:.1f} KiB per plugin"
            f" ({small}/{large}/added; in all {total[str(small)]:.1f}/{total[str(large)]:.1f}/{total['added']:.1f})"
        )
        met = all(r <= limit for r in ratios.values()) and worst < GOAL_KIB
        scaling = Target(
            "7",
            f"{small} -> {large} plugins, every step (in-process, {args.repeat} runs); memory held after discover"
            " + activate all, less the plugins' own (tracemalloc, gc.collect())",
            f"<= {limit:.3g}x; < {GOAL_KIB:g} KiB",
            f"{words}; {memory}",
            met,
        )
        write_targets(args.targets, [scaling])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
