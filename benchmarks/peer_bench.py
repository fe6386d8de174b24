"""Time manifold against stevedore and entry points + pluggy on the same generated plugin set.

The script generates N plugins (seed 0) with ``generate.py`` and also installs the very same
packages as N distributions for the peers: one folder ``site-packages/`` that holds each plugin's
package and a ``bench_pNNNN-VERSION.dist-info/`` with ``METADATA``, ``WHEEL``, ``RECORD``,
``top_level.txt`` and ``entry_points.txt`` (the plugin's class in the group ``bench.plugins``,
named by the plugin id, and each of its extensions in a group named by the extension point).

The peers run in a virtual environment of their own, created once and then reused (default
``~/.cache/manifold-bench/venv``): stevedore, pluggy and manifold (editable, from this checkout).
Every measurement runs in a new process of that environment. The systems take turns within each
round, and the order of a round is reversed in the next one. One round that is not counted comes
first: it fills the manifest cache, stevedore's entry point cache and a bytecode cache
(``PYTHONPYCACHEPREFIX``) in the temporary folder, so that imports are timed as for installed code.
Each child reports what it did (plugins active, extensions loaded, plugins registered, cache hits),
and the script stops with an error when a count is not N. It prints the medians with min-max, and
then each target as a measured ratio next to its goal.

    python benchmarks/peer_bench.py [--n 1000] [--repeat 7] [--dir DIR] [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate
from targets import Target, print_targets, write_targets

REPO = Path(__file__).resolve().parents[1]
GROUP = "bench.plugins"
HEAVY = ("jsonschema", "networkx")
IMPORT_REPEAT = 3  # the import rows are short processes: three times as many per round
STANDALONE = 10  # in the lazy set, the last 10 plugins need no other and contribute to one point (target 5)

MANIFOLD_CHILD = r"""
import glob, json, os, sys, time
started = time.time()
folder, cache_dir, task = sys.argv[1:4]
t0 = time.perf_counter()
from manifold import Manager
t1 = time.perf_counter()
manager = Manager(
    [folder], environ={}, timeout=None if task == "inline" else 20.0, cache=task != "cold", cache_dir=cache_dir
)
t2 = time.perf_counter()
report = manager.discover()
t3 = time.perf_counter()
result = {"import": t1 - t0, "discover": t3 - t2, "resolved": len(report.order)}
result["heavy"] = [name for name in ("jsonschema", "networkx", "tomllib") if name in sys.modules]
if task in ("warm", "inline", "cold", "lazy-all"):
    manager.activate_all()
    result["activate"] = time.perf_counter() - t3
    result["ready"] = time.perf_counter() - t0  # imports included; the rest of the wall time is start and exit
    result["active"] = len(manager.report.active)
elif task in ("lazy-one", "lazy-standalone"):
    counts = {}
    for handle in (h for pid in manager.points() for h in manager.extensions(pid)):
        counts[handle.point] = counts.get(handle.point, 0) + 1
    if task == "lazy-standalone":  # the 10 plugins that need no other (generate.py's standalone)
        point = next(p for p in sorted(counts) if p.endswith(".standalone"))
    else:  # the point with the most extensions up to 10, among those of plugins with dependencies
        others = sorted(p for p in counts if not p.endswith(".standalone"))
        point = max(others, key=lambda p: counts[p] if counts[p] <= 10 else 0)
    before = set(sys.modules)
    t4 = time.perf_counter()
    loaded = [handle.load() for handle in manager.extensions(point)]
    result["activate"] = time.perf_counter() - t4
    result["point"] = point
    result["loaded"] = sum(value is not None for value in loaded)
    result["extensions"] = counts[point]
    result["active"] = len(manager.report.active)
    new = {m.partition(".")[0] for m in set(sys.modules) - before}
    result["packages"] = len({m for m in new if m.startswith("bench_")})
    result["others"] = sorted(m for m in new if not m.startswith(("bench_", "_")))
files = glob.glob(os.path.join(cache_dir, "manifests-*.bin"))
result["cache_hit"] = bool(files) and max(os.path.getmtime(f) for f in files) < started
print(json.dumps(result))
"""

STEVEDORE_CHILD = r"""
import json, os, sys, time
from types import SimpleNamespace
started = time.time()
site, group, task = sys.argv[1:4]
sys.path.append(site)  # where an installed distribution is: after the standard library
t0 = time.perf_counter()
from stevedore import ExtensionManager
t1 = time.perf_counter()
result = {"import": t1 - t0}
if task == "list":
    entry_points = ExtensionManager.make_test_instance([], namespace=group).list_entry_points()
    result["list"] = time.perf_counter() - t1
    result["listed"] = len(entry_points)
else:
    def fail(manager, entry_point, error):
        raise error
    manager = ExtensionManager(
        namespace=group, invoke_on_load=True, invoke_args=(SimpleNamespace(app="bench"),),
        on_load_failure_callback=fail,
    )
    for extension in manager.extensions:
        extension.obj.activate()
    result["ready"] = time.perf_counter() - t0
    result["loaded"] = len(manager.extensions)
    result["active"] = sum(extension.obj.active for extension in manager.extensions)
from stevedore import _cache  # a miss writes a new cache file: every file must be older than this process
folder = _cache._c._dir
files = [os.path.join(folder, name) for name in os.listdir(folder)]
fresh = all(os.path.getmtime(f) < started for f in files)
result["cache_hit"] = not _cache._c._disable_caching and bool(files) and fresh
print(json.dumps(result))
"""

PLUGGY_CHILD = r"""
import json, sys, time
from types import SimpleNamespace
site, group = sys.argv[1:3]
sys.path.append(site)
t0 = time.perf_counter()
from importlib.metadata import entry_points
import pluggy
hookspec = pluggy.HookspecMarker("bench")
class Spec:
    @hookspec
    def on_save(self, document, context): ...
manager = pluggy.PluginManager("bench")
manager.add_hookspecs(Spec)
context = SimpleNamespace(app="bench")
for entry_point in entry_points(group=group):
    plugin = entry_point.load()(context)
    plugin.activate()
    manager.register(plugin, name=entry_point.name)
plugins = manager.get_plugins()
ready = time.perf_counter() - t0
print(json.dumps({"registered": len(plugins), "active": sum(p.active for p in plugins), "ready": ready}))
"""

VERSIONS = r"""
import json, platform
from importlib.metadata import version
import manifold, manifold.manager, manifold.validation, pluggy, stevedore  # all of manifold's dependencies too
names = ("manifold-plugins", "stevedore", "pluggy")
versions = {name: version(name) for name in names}
print(json.dumps({"file": manifold.__file__, "python": platform.python_version(), **versions}))
"""


@dataclass
class Task:
    """One kind of child process: its command line and what its output must show."""

    label: str
    argv: list[str]
    check: Callable[[dict[str, Any]], str | None] = lambda _: None  # what is wrong, or None
    walls: list[float] = field(default_factory=list)
    inner: dict[str, list[float]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- environment


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed(python: Path) -> dict[str, str] | None:
    """The versions in the environment, or None when something is missing or manifold is not this checkout."""
    if not python.exists():
        return None
    done = subprocess.run([str(python), "-c", VERSIONS], capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        return None
    versions: dict[str, str] = json.loads(done.stdout)
    return versions if Path(versions["file"]).resolve().is_relative_to(REPO / "src") else None


def ensure_venv(venv: Path) -> tuple[Path, dict[str, str]]:
    """The environment's python, with stevedore, pluggy and this manifold installed (done once)."""
    python = venv_python(venv)
    if str(python).startswith("/tmp"):
        # stevedore never writes its cache when the interpreter is under /tmp: its warm start would be a cold one.
        raise SystemExit(f"--venv {venv}: stevedore does not cache for an interpreter under /tmp; choose another place")
    versions = installed(python)
    if versions is None:
        if not python.exists():
            print(f"creating {venv} ...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        print(f"installing stevedore, pluggy and manifold ({REPO}) into {venv} ...", file=sys.stderr, flush=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        done = subprocess.run([*pip, "stevedore", "pluggy", "-e", str(REPO)], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"pip install failed:\n{done.stdout}{done.stderr}")
        versions = installed(python)
        if versions is None:
            raise SystemExit(f"{venv}: stevedore, pluggy or manifold from {REPO} still missing after pip install")
    return python, versions


# ----------------------------------------------------------------------------- plugin sets


def install_as_distributions(plugins: Path, site: Path) -> dict[str, int]:
    """Copy each plugin's packages to ``site`` and write its ``.dist-info``; return entry point counts."""
    site.mkdir(parents=True, exist_ok=True)
    counts = {"plugins": 0, "extensions": 0}
    for folder in sorted(p for p in plugins.iterdir() if (p / "plugin.toml").is_file()):
        data = tomllib.loads((folder / "plugin.toml").read_text(encoding="utf-8"))
        plugin = data["plugin"]
        packages: list[str] = plugin["packages"]
        name, version = packages[0], plugin["version"]
        groups: dict[str, list[str]] = {GROUP: [f"{plugin['id']} = {plugin['class']}"]}
        for extension in data.get("extensions", []):
            line = f"{plugin['id']}.{extension['id']} = {extension['ref']}"
            groups.setdefault(extension["point"], []).append(line)
            counts["extensions"] += 1
        counts["plugins"] += 1
        record: list[str] = []
        for package in packages:
            shutil.copytree(folder / package, site / package)
            record += [f"{p.relative_to(site).as_posix()},," for p in sorted((site / package).rglob("*.py"))]
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        files = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {plugin['description']}\n",
            "WHEEL": "Wheel-Version: 1.0\nGenerator: peer_bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            "top_level.txt": "".join(f"{package}\n" for package in packages),
            "entry_points.txt": "\n".join(
                f"[{group}]\n" + "".join(f"{e}\n" for e in lines) for group, lines in groups.items()
            ),
        }
        for file_name, text in files.items():
            (info / file_name).write_text(text, encoding="utf-8")
            record.append(f"{info.name}/{file_name},,")
        (info / "RECORD").write_text("\n".join([*record, f"{info.name}/RECORD,,"]) + "\n", encoding="utf-8")
    return counts


def read_all(root: Path) -> int:
    """Read every file once, so that none is first read in a timed run; return the bytes read."""
    return sum(len(path.read_bytes()) for path in root.rglob("*") if path.is_file())


# ----------------------------------------------------------------------------- running


def run(task: Task, env: dict[str, str], cwd: Path, *, record: bool) -> None:
    began = time.perf_counter()
    done = subprocess.run(task.argv, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{task.label}: exit {done.returncode}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1]) if done.stdout.strip() else {}
    problem = task.check(result)
    if problem is not None:
        raise SystemExit(f"{task.label}: {problem}\n{result}")
    if not record:
        return
    task.walls.append(wall)
    for key, value in result.items():
        if isinstance(value, float):
            task.inner.setdefault(key, []).append(value)
        elif isinstance(value, list):  # modules seen in sys.modules: in any run
            task.facts[key] = sorted(set(task.facts.get(key, [])) | set(value))
        else:
            task.facts[key] = value


def expect(**wanted: Any) -> Callable[[dict[str, Any]], str | None]:
    def check(result: dict[str, Any]) -> str | None:
        wrong = {key: result.get(key) for key, value in wanted.items() if result.get(key) != value}
        return None if not wrong else f"expected {wanted}, got {wrong}"

    return check


def every_loaded(n: int) -> Callable[[dict[str, Any]], str | None]:
    """The point's extensions all loaded, from a warm cache, and fewer than N plugins active."""

    def check(result: dict[str, Any]) -> str | None:
        if result.get("resolved") != n or not result.get("cache_hit"):
            return f"expected {n} resolved from a warm cache"
        if not 0 < result["loaded"] == result["extensions"] or result["active"] >= n:
            return "expected every extension of the point loaded, and not every plugin active"
        return None

    return check


def exactly_its_plugins(n: int) -> Callable[[dict[str, Any]], str | None]:
    """As ``every_loaded``, and the point's plugins are exactly the ones active and imported."""
    loaded = every_loaded(n)

    def check(result: dict[str, Any]) -> str | None:
        problem = loaded(result)
        if problem is None and not result["active"] == result["packages"] == result["extensions"] == STANDALONE:
            return f"expected exactly the point's {STANDALONE} plugins active and imported"
        return problem

    return check


def build_tasks(python: Path, root: Path, n: int) -> tuple[dict[str, Task], list[Task]]:
    """The measured tasks, and the runs that fill the caches first."""
    py = str(python)
    eager, lazy, site = root / "eager", root / "lazy", root / "site-packages"
    cache, lazy_cache = str(root / "manifold-cache"), str(root / "manifold-cache-lazy")
    manifold, stevedore = [py, "-c", MANIFOLD_CHILD], [py, "-c", STEVEDORE_CHILD, str(site), GROUP]
    warm = expect(resolved=n, active=n, cache_hit=True)
    tasks = [
        Task("manifold warm, worker", [*manifold, str(eager), cache, "warm"], warm),
        Task(
            "stevedore warm",
            [*stevedore, "load"],
            expect(loaded=n, active=n, cache_hit=True),
        ),
        Task("manifold warm, inline", [*manifold, str(eager), cache, "inline"], warm),
        Task("manifold cold", [*manifold, str(eager), cache, "cold"], expect(resolved=n, active=n)),
        Task("entry points + pluggy", [py, "-c", PLUGGY_CHILD, str(site), GROUP], expect(registered=n, active=n)),
        Task("manifold discover", [*manifold, str(eager), cache, "discover"], expect(resolved=n, cache_hit=True)),
        Task("stevedore list", [*stevedore, "list"], expect(listed=n, cache_hit=True)),
        Task("lazy: use one point", [*manifold, str(lazy), lazy_cache, "lazy-standalone"], exactly_its_plugins(n)),
        Task("lazy: a point with dependencies", [*manifold, str(lazy), lazy_cache, "lazy-one"], every_loaded(n)),
        Task("lazy: activate all", [*manifold, str(lazy), lazy_cache, "lazy-all"], warm),
    ]
    imports = {
        "pass": "pass",
        "import manifold": "import manifold",
        "import pluggy": "import pluggy",
        "import stevedore": "import stevedore",
        "from manifold import Manager": "from manifold import Manager",
    }
    tasks += [Task(label, [py, "-c", code]) for label, code in imports.items()]
    fill = [
        Task("filling the manifest cache", [*manifold, str(eager), cache, "discover"]),
        Task("filling the manifest cache (lazy set)", [*manifold, str(lazy), lazy_cache, "discover"]),
        Task("filling the entry point cache", [*stevedore, "list"]),
    ]
    return {task.label: task for task in tasks}, fill


def child_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME")}
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")  # bytecode of everything, filled by the warm-up round
    env["XDG_CACHE_HOME"] = str(root / "xdg-cache")  # stevedore's entry point cache: python-entrypoints/
    return env


def rounds(tasks: dict[str, Task], fill: list[Task], env: dict[str, str], cwd: Path, repeat: int) -> None:
    """Fill the caches, run one warm-up round, then ``repeat`` counted rounds (each reversing the last)."""
    for task in fill:
        run(task, env, cwd, record=False)
    order = list(tasks.values())
    for i in range(repeat + 1):
        sequence = order if i % 2 == 0 else order[::-1]
        for task in sequence:
            times = IMPORT_REPEAT if task.label.startswith(("import", "from", "pass")) else 1
            for _ in range(times):
                run(task, env, cwd, record=i > 0)  # round 0 warms the caches and is not counted
        if i == 0:
            print("  warm-up round done", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- report


def ms(values: list[float]) -> str:
    times = [v * 1000 for v in values]
    return f"{statistics.median(times):8.1f} ms  ({min(times):.1f}-{max(times):.1f})"


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(tasks: dict[str, Task], n: int, repeat: int) -> list[Target]:
    t = tasks
    print(f"\nwhole process, all {n} plugins eager: import, find, construct, activate (wall time from outside;")
    print("  in brackets, the part inside the script, from the first import to every plugin ready: the rest is")
    print("  the interpreter's start and exit, whose final collections walk every object the process holds)")
    rows = [
        ("manifold warm, worker", "manifold, warm manifest cache, default timeout (worker thread)", "active"),
        ("manifold warm, inline", "manifold, warm manifest cache, timeout=None (inline)", "active"),
        ("stevedore warm", "stevedore ExtensionManager, warm entry point cache", "loaded"),
        ("manifold cold", "manifold, cache=False (reads and checks every manifest)", "active"),
        ("entry points + pluggy", "importlib.metadata entry points + pluggy register", "registered"),
    ]
    for label, title, count in rows:
        inside = ms(t[label].inner["ready"]).strip()
        print(f"  {title:<62}{ms(t[label].walls)}  [{t[label].facts[count]} {count}; script {inside}]")

    print("\ninside the process, imports excluded: discover + gate + resolve against listing the entry points")
    discover = t["manifold discover"]
    heavy = [name for name in discover.facts["heavy"] if name in HEAVY]
    absent = [name for name in (*HEAVY, "tomllib") if name not in discover.facts["heavy"]]
    print(
        f"  {'manifold Manager.discover(), warm manifest cache':<62}{ms(discover.inner['discover'])}"
        f"  [{discover.facts['resolved']} resolved; imported by then in any run: "
        f"{', '.join(discover.facts['heavy']) or 'none'}; in no run: {', '.join(absent) or 'none'}]"
    )
    listing = t["stevedore list"]
    print(
        f"  {'stevedore list_entry_points(), warm entry point cache':<62}{ms(listing.inner['list'])}"
        f"  [{listing.facts['listed']} listed]"
    )
    print(
        f"  {'(imports, same processes: from manifold import Manager':<62}{ms(discover.inner['import'])}\n"
        f"  {' from stevedore import ExtensionManager)':<62}{ms(listing.inner['import'])}"
    )

    one, every = t["lazy: use one point"], t["lazy: activate all"]
    print(f"\nlazy: {n} lazy plugins, warm cache; timed inside the process after discover")
    for task, what in ((one, "no dependencies"), (t["lazy: a point with dependencies"], "with dependencies")):
        point = f"load the {task.facts['extensions']} extensions of {task.facts['point']}"
        print(
            f"  {point:<62}{ms(task.inner['activate'])}"
            f"  [plugins {what}: {task.facts['active']} active, {task.facts['packages']} plugin packages imported]"
        )
        others = ", ".join(task.facts["others"]) or "none"
        print(f"  {'':<62}first imported in that call, besides plugins: {others}")
    print(f"  {'activate_all()':<62}{ms(every.inner['activate'])}  [{every.facts['active']} active]")
    print(f"  {'(whole process: use one point / activate all)':<62}{ms(one.walls)} / {ms(every.walls).strip()}")

    print(f"\nimports, whole process ({IMPORT_REPEAT * repeat} processes each)")
    bare = median(t["pass"].walls)
    for label in ("pass", "import manifold", "import pluggy", "import stevedore", "from manifold import Manager"):
        extra = "" if label == "pass" else f"  +{(median(t[label].walls) - bare) * 1000:.1f} ms over bare"
        print(f"  {'python -c ' + repr(label):<62}{ms(t[label].walls)}{extra}")

    def ratio(a: str, b: str) -> float:
        return median(t[a].walls) / median(t[b].walls)

    worker, inline = ratio("manifold warm, worker", "stevedore warm"), ratio("manifold warm, inline", "stevedore warm")
    cold = ratio("manifold cold", "entry points + pluggy")
    listed = median(discover.inner["discover"]) / median(listing.inner["list"])
    lazy = median(one.inner["activate"]) / median(every.inner["activate"])
    heavy_point = t["lazy: a point with dependencies"]
    deps = median(heavy_point.inner["activate"]) / median(every.inner["activate"])
    needed = heavy_point.facts["active"] - heavy_point.facts["extensions"]
    added = {name: (median(t[f"import {name}"].walls) - bare) * 1000 for name in ("manifold", "pluggy")}
    return [
        Target(
            "1",
            "warm full start / stevedore warm (whole process)",
            "<= 0.75x",
            f"{worker:.2f}x (inline {inline:.2f}x)",
            worker <= 0.75,
        ),
        Target(
            "2", "cold full start / entry points + pluggy (whole process)", "<= 0.75x", f"{cold:.2f}x", cold <= 0.75
        ),
        Target(
            "3",
            "warm discover+gate+resolve / stevedore warm listing",
            "<= 1.0x, no jsonschema, networkx",
            f"{listed:.2f}x, {', '.join(heavy) or 'neither'} imported",
            listed <= 1.0 and not heavy,
        ),
        Target(
            "5",
            "lazy use of one point (10 plugins) / activate all",
            "< 5%",
            f"{lazy * 100:.1f}% (a point whose plugins need {needed} others: {deps * 100:.1f}%)",
            lazy < 0.05,
        ),
        Target(
            "7a",
            "import manifold over bare python",
            "<= 20 ms",
            f"+{added['manifold']:.1f} ms (pluggy +{added['pluggy']:.1f} ms)",
            added["manifold"] <= 20,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of plugins (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="counted rounds (default 7)")
    parser.add_argument("--dir", type=Path, help="where to write the plugins (default: a folder in /dev/shm or /tmp)")
    parser.add_argument("--targets", metavar="FILE", help="also write the targets to FILE as JSON")
    parser.add_argument(
        "--venv",
        type=Path,
        default=Path.home() / ".cache" / "manifold-bench" / "venv",
        help="environment with stevedore, pluggy and manifold; created when missing (default %(default)s)",
    )
    args = parser.parse_args(argv)
    python, versions = ensure_venv(args.venv.expanduser().absolute())
    base = args.dir or (Path("/dev/shm") if os.path.isdir("/dev/shm") else None)
    with tempfile.TemporaryDirectory(dir=base, prefix="manifold-peers-") as tmp:
        root = Path(tmp)
        generate(root / "eager", args.n, seed=0, lazy_ratio=0.0)
        generate(root / "lazy", args.n, seed=0, lazy_ratio=1.0, standalone=STANDALONE)
        counts = install_as_distributions(root / "eager", root / "site-packages")
        (root / "cwd").mkdir()
        size = read_all(root)
        print(
            f"peer_bench: N = {args.n} plugins (seed 0) in {root}; {args.repeat} counted rounds after 1 warm-up, "
            f"a fresh process per measurement, median (min-max)\n"
            f"  Python {versions['python']} at {python}; manifold {versions['manifold-plugins']} "
            f"({Path(versions['file']).parent}), stevedore {versions['stevedore']}, pluggy {versions['pluggy']}\n"
            f"  peers: {counts['plugins']} dist-infos with {counts['plugins']} entry points in {GROUP} "
            f"and {counts['extensions']} in the extension point groups; {size / 1e6:.1f} MB read before timing",
            flush=True,
        )
        tasks, fill = build_tasks(python, root, args.n)
        rounds(tasks, fill, child_env(root), root / "cwd", args.repeat)
        targets = report(tasks, args.n, args.repeat)
    print(
        "\nchecks passed in every run: N resolved and N active, loaded or registered; each warm run found its cache"
        " filled before it started (manifest cache not rewritten, stevedore's cache file older than the process)"
    )
    print_targets(targets)
    write_targets(args.targets, targets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
