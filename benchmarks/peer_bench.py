"""Time manifold against stevedore and entry points + pluggy on the same generated plugin sets.

The script generates three sets of N plugins (seed 0) with ``generate.py``: every plugin eager; the
same with one more contribution per plugin to a hook the host declares (``bench.started``); and
every plugin lazy, the last 10 needing no other plugin and contributing to one point. Each set is
also installed for the peers as N distributions in a folder of its own (``site-packages*/``): each
plugin's package and a ``bench_pNNNN-VERSION.dist-info/`` with ``METADATA``, ``WHEEL``, ``RECORD``,
``top_level.txt`` and ``entry_points.txt`` (the plugin's class in the group ``bench.plugins``, named
by the plugin id, and each of its extensions in a group named by the extension point).

The peers run in a virtual environment of their own, created once per checkout and then reused
(default ``~/.cache/manifold-bench/venv-<checkout>``): stevedore and pluggy from PyPI, and manifold
(editable, from this checkout). Every measurement runs in a new process of that environment: whole
process wall time, measured from outside (the interpreter's start and exit included), and the part
inside the script. The systems take turns within each round, and the order of a round is reversed in
the next one. Before the rounds, each task that needs a cache runs once to fill it, and one round is
not counted: it also fills a bytecode cache (``PYTHONPYCACHEPREFIX``) in the temporary folder, so that
imports are timed as for installed code. A cold task empties its own cache folder before each run
(manifold's ``cache_dir``; stevedore's entry point cache, ``XDG_CACHE_HOME/python-entrypoints``).
Each child reports what it did (plugins active, objects held, extensions loaded, hook results, cache
files read or written, objects alive at its end: ``len(gc.get_objects())`` plus the frozen ones), and the script stops
with an error when a count is not the expected one. It prints the medians with min-max, and then
each target of the performance issue as a measured ratio next to its goal.

    python benchmarks/peer_bench.py [--n 1000] [--repeat 7] [--dir DIR] [--venv DIR]
"""

from __future__ import annotations

import argparse
import hashlib
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
HOOK = "bench.started"  # the host's hook point: every plugin of the hook set implements it (host_hook)
HEAVY = ("jsonschema", "networkx")
IMPORT_REPEAT = 3  # the import rows are short processes: three times as many per round
STANDALONE = 10  # in the lazy set, the last 10 plugins need no other and contribute to one point (target 4)

# What every child reports at its end: the cache files it found and wrote (a warm run writes none, a cold
# run starts from an empty folder and writes one), and the objects the process holds as it exits.
CHILD_END = r"""
def cache_files(folder):
    files = [os.path.join(d, name) for d, _, names in os.walk(folder) for name in names]
    return len(files), sum(os.path.getmtime(f) >= started for f in files)
result["cache_files"], result["cache_written"] = cache_files(cache_dir)
result["objects"] = len(gc.get_objects()) + gc.get_freeze_count()  # the frozen ones too
print(json.dumps(result))
"""

MANIFOLD_CHILD = (
    r"""
import gc, json, os, sys, time
from types import SimpleNamespace
started = time.time()
folder, cache_dir, task, hook = sys.argv[1:5]
t0 = time.perf_counter()
from manifold import Manager
t1 = time.perf_counter()
manager = Manager([folder], environ={}, cache_dir=cache_dir)  # the host's defaults otherwise
if task == "full-hook":
    manager.add_point(hook, hook=True, parameters=["app"])  # declared by the host, implemented by every plugin
t2 = time.perf_counter()
report = manager.discover()
t3 = time.perf_counter()
result = {"import": t1 - t0, "discover": t3 - t2, "resolved": len(report.order)}
result["heavy"] = [name for name in ("jsonschema", "networkx", "tomllib", "tomli") if name in sys.modules]
if task in ("full", "full-hook"):
    manager.activate_all()
    objects = [manager.plugin(plugin_id) for plugin_id in manager.load_order]  # held as a host holds them
    if task == "full-hook":
        results = manager.hook(hook)(app=SimpleNamespace(app="bench"))
        result["called"] = len(results)
    result["ready"] = time.perf_counter() - t0  # imports included; the rest of the wall time is start and exit
    result["active"] = len(manager.report.active)
    result["held"] = sum(o is not None for o in objects)
elif task == "lazy":  # the point of the 10 plugins that need no other (generate.py's standalone)
    point = next(p for p in sorted(manager.points()) if p.endswith(".standalone"))
    before = set(sys.modules)
    t4 = time.perf_counter()
    loaded = [handle.load() for handle in manager.extensions(point)]
    result["use"] = time.perf_counter() - t4
    result["ready"] = time.perf_counter() - t0
    result["point"] = point
    result["loaded"] = sum(value is not None for value in loaded)
    result["active"] = len(manager.report.active)
    new = {m.partition(".")[0] for m in set(sys.modules) - before}
    result["packages"] = len({m for m in new if m.startswith("bench_")})
    result["others"] = sorted(m for m in new if not m.startswith(("bench_", "_")))
"""
    + CHILD_END
)

STEVEDORE_CHILD = (
    r"""
import gc, json, os, sys, time
from types import SimpleNamespace
started = time.time()
site, group, task = sys.argv[1:4]
sys.path.append(site)  # where an installed distribution is: after the standard library
t0 = time.perf_counter()
from stevedore import ExtensionManager, NamedExtensionManager
t1 = time.perf_counter()
result = {"import": t1 - t0}
def fail(manager, entry_point, error):
    raise error
if task == "list":
    entry_points = ExtensionManager.make_test_instance([], namespace=group).list_entry_points()
    result["list"] = time.perf_counter() - t1
    result["listed"] = len(entry_points)
elif task == "named":  # the 10 extensions of one point, by name
    names = json.loads(sys.argv[4])
    manager = NamedExtensionManager(
        namespace=group, names=names, invoke_on_load=True, on_load_failure_callback=fail
    )
    result["ready"] = time.perf_counter() - t0
    result["loaded"] = len(manager.extensions)
    result["packages"] = len({m.partition(".")[0] for m in sys.modules if m.startswith("bench_")})
else:
    manager = ExtensionManager(
        namespace=group, invoke_on_load=True, invoke_args=(SimpleNamespace(app="bench"),),
        on_load_failure_callback=fail,
    )
    for extension in manager.extensions:
        extension.obj.activate()
    result["ready"] = time.perf_counter() - t0
    result["loaded"] = len(manager.extensions)
    result["active"] = sum(extension.obj.active for extension in manager.extensions)
from stevedore import _cache
cache_dir = _cache._c._dir
result["caching"] = not _cache._c._disable_caching
"""
    + CHILD_END
)

# Entry points + pluggy: every plugin's class loaded, its object built, activated and kept; then either
# the object registered (a hook spec added, no implementation) or, with a hook group, the module of each
# implementation of the host's hook registered and the hook called once.
PLUGGY_CHILD = r"""
import gc, json, sys, time
from types import SimpleNamespace
site, group, hook = sys.argv[1:4]
sys.path.append(site)
t0 = time.perf_counter()
from importlib.metadata import entry_points
import pluggy
hookspec, hookimpl = pluggy.HookspecMarker("bench"), pluggy.HookimplMarker("bench")
class Spec:
    @hookspec
    def host_hook(self, app): ...
manager = pluggy.PluginManager("bench")
manager.add_hookspecs(Spec)
context = SimpleNamespace(app="bench")
found = entry_points()
objects = []
for entry_point in found.select(group=group):
    plugin = entry_point.load()(context)
    plugin.activate()
    objects.append(plugin)
    if hook == "-":
        manager.register(plugin, name=entry_point.name)
result = {}
if hook != "-":
    for entry_point in found.select(group=hook):
        function = hookimpl(entry_point.load())  # as a decorator in the plugin's code would mark it
        manager.register(sys.modules[function.__module__], name=entry_point.name)
    result["called"] = len(manager.hook.host_hook(app=context))
result["ready"] = time.perf_counter() - t0
result["registered"] = len(manager.get_plugins())
result["active"] = sum(p.active for p in objects)
result["held"] = len(objects)
result["objects"] = len(gc.get_objects()) + gc.get_freeze_count()  # the frozen ones too
print(json.dumps(result))
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
    """One kind of child process: its command line, what its output must show, what runs before it."""

    label: str
    argv: list[str]
    check: Callable[[dict[str, Any]], str | None] = lambda _: None  # what is wrong, or None
    env: dict[str, str] = field(default_factory=dict)  # over the common environment
    prepare: Callable[[], None] | None = None  # before each run (a cold run empties its cache)
    walls: list[float] = field(default_factory=list)
    inner: dict[str, list[float]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- environment


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def default_venv() -> Path:
    """One environment per checkout: each holds an editable manifold of its own checkout."""
    tag = hashlib.blake2b(str(REPO).encode(), digest_size=4).hexdigest()
    return Path.home() / ".cache" / "manifold-bench" / f"venv-{REPO.name}-{tag}"


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


def standalone_point(plugins: Path) -> tuple[str, list[str]]:
    """The lazy set's point of the plugins that need no other, and its entry point names (plugin.extension)."""
    point, names = "", []
    for folder in sorted(p for p in plugins.iterdir() if (p / "plugin.toml").is_file()):
        data = tomllib.loads((folder / "plugin.toml").read_text(encoding="utf-8"))
        for extension in data.get("extensions", []):
            if extension["point"].endswith(".standalone"):
                point = extension["point"]
                names.append(f"{data['plugin']['id']}.{extension['id']}")
    return point, names


def read_all(root: Path) -> int:
    """Read every file once, so that none is first read in a timed run; return the bytes read."""
    return sum(len(path.read_bytes()) for path in root.rglob("*") if path.is_file())


# ----------------------------------------------------------------------------- running


def run(task: Task, env: dict[str, str], cwd: Path, *, record: bool, check: bool = True) -> None:
    if task.prepare is not None:
        task.prepare()
    began = time.perf_counter()
    done = subprocess.run(task.argv, capture_output=True, text=True, env={**env, **task.env}, cwd=cwd)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{task.label}: exit {done.returncode}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1]) if done.stdout.strip() else {}
    problem = task.check(result) if check else None
    if problem is not None:
        raise SystemExit(f"{task.label}: {problem}\n{result}")
    if not record:
        return
    task.walls.append(wall)
    for key, value in result.items():
        if isinstance(value, float):
            task.inner.setdefault(key, []).append(value)
        elif isinstance(value, int) and not isinstance(value, bool) and key == "objects":
            task.inner.setdefault(key, []).append(float(value))
        elif isinstance(value, list):  # modules seen in sys.modules: in any run
            task.facts[key] = sorted(set(task.facts.get(key, [])) | set(value))
        else:
            task.facts[key] = value


def expect(**wanted: Any) -> Callable[[dict[str, Any]], str | None]:
    def check(result: dict[str, Any]) -> str | None:
        wrong = {key: result.get(key) for key, value in wanted.items() if result.get(key) != value}
        return None if not wrong else f"expected {wanted}, got {wrong}"

    return check


def warm(**wanted: Any) -> Callable[[dict[str, Any]], str | None]:
    """``wanted``, and a cache found filled and not written."""
    counts = expect(**wanted)

    def check(result: dict[str, Any]) -> str | None:
        if not result.get("cache_files") or result.get("cache_written"):
            return f"expected a warm cache: {result.get('cache_files')} files, {result.get('cache_written')} written"
        return counts(result)

    return check


def cold(**wanted: Any) -> Callable[[dict[str, Any]], str | None]:
    """``wanted``, and a cache written in the run (its folder was emptied before)."""
    counts = expect(**wanted)

    def check(result: dict[str, Any]) -> str | None:
        if not result.get("cache_written") or result.get("cache_files") != result.get("cache_written"):
            return f"expected a cache written from empty: {result.get('cache_files')} files, {result['cache_written']}"
        return counts(result)

    return check


def emptied(folder: Path) -> Callable[[], None]:
    def empty() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    return empty


def build_tasks(python: Path, root: Path, n: int) -> dict[str, Task]:
    """The measured tasks, by label."""
    py = str(python)
    site, hook_site, lazy_site = (str(root / name) for name in ("site-packages", "site-hook", "site-lazy"))
    point, names = standalone_point(root / "lazy")

    def manifold(folder: str, cache: str, task: str) -> list[str]:
        return [py, "-c", MANIFOLD_CHILD, str(root / folder), str(root / cache), task, HOOK]

    def stevedore(where: str, group: str, task: str, *extra: str) -> list[str]:
        return [py, "-c", STEVEDORE_CHILD, where, group, task, *extra]

    def pluggy(where: str, hook: str) -> list[str]:
        return [py, "-c", PLUGGY_CHILD, where, GROUP, hook]

    full = {"resolved": n, "active": n, "held": n}
    cold_cache = root / "xdg-cold"
    tasks = [
        Task("manifold warm", manifold("eager", "cache-eager", "full"), warm(**full)),
        Task("stevedore warm", stevedore(site, GROUP, "load"), warm(loaded=n, active=n, caching=True)),
        Task("manifold warm + hook", manifold("hook", "cache-hook", "full-hook"), warm(**full, called=n)),
        Task("pluggy + hook", pluggy(hook_site, HOOK), expect(registered=n, active=n, held=n, called=n)),
        Task(
            "manifold cold",
            manifold("eager", "cache-cold", "full"),
            cold(**full),
            prepare=emptied(root / "cache-cold"),
        ),
        Task(
            "stevedore cold",
            stevedore(site, GROUP, "load"),
            cold(loaded=n, active=n, caching=True),
            env={"XDG_CACHE_HOME": str(cold_cache)},
            prepare=emptied(cold_cache),
        ),
        Task("pluggy", pluggy(site, "-"), expect(registered=n, active=n, held=n)),
        Task("manifold discover", manifold("eager", "cache-eager", "discover"), warm(resolved=n)),
        Task("stevedore list", stevedore(site, GROUP, "list"), warm(listed=n)),
        Task(
            "manifold lazy one point",
            manifold("lazy", "cache-lazy", "lazy"),
            warm(resolved=n, loaded=STANDALONE, active=STANDALONE, packages=STANDALONE),
        ),
        Task(
            "stevedore one point",
            stevedore(lazy_site, point, "named", json.dumps(names)),
            warm(loaded=STANDALONE, packages=STANDALONE),
        ),
        Task("manifold lazy full", manifold("lazy", "cache-lazy", "full"), warm(**full)),
    ]
    imports = {
        "pass": "pass",
        "import pluggy": "import pluggy",
        "import stevedore": "import stevedore",
        "from manifold import Manager": "from manifold import Manager",
    }
    tasks += [Task(label, [py, "-c", code]) for label, code in imports.items()]
    return {task.label: task for task in tasks}


def child_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME")}
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")  # bytecode of everything, filled by the warm-up round
    env["XDG_CACHE_HOME"] = str(root / "xdg-cache")  # stevedore's entry point cache: python-entrypoints/
    return env


def rounds(tasks: dict[str, Task], env: dict[str, str], cwd: Path, repeat: int) -> None:
    """Fill the caches, run one warm-up round, then ``repeat`` counted rounds (each reversing the last)."""
    for task in tasks.values():  # each warm task's cache, filled by its first run
        run(task, env, cwd, record=False, check=False)
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
    print(f"\nfull start, whole process, {n} plugins: every plugin imported, its object built, activated and kept in a")
    print("  list (wall time from outside, median (min-max) of fresh processes; in brackets: the part inside the")
    print("  script, from the first import to every plugin ready; the rest is the interpreter's start and exit, whose")
    print("  final collections walk every object the process holds; objects: len(gc.get_objects()) at the end)")
    rows = [
        ("manifold warm", "manifold, warm manifest cache (objects in a list)"),
        ("stevedore warm", "stevedore ExtensionManager, warm entry point cache"),
        ("manifold warm + hook", f"manifold, warm, + hook {HOOK} built, called once"),
        ("pluggy + hook", "entry points + pluggy, + hook built, called once"),
        ("manifold cold", "manifold, cold: cache folder emptied, cache written"),
        ("stevedore cold", "stevedore, cold: entry point cache folder emptied"),
        ("pluggy", "entry points + pluggy: objects registered (no cache)"),
    ]
    for label, title in rows:
        task = t[label]
        inside = ms(task.inner["ready"]).strip()
        objects = median(task.inner["objects"])
        called = f", hook reached {task.facts['called']}" if "called" in task.facts else ""
        print(f"  {title:<56}{ms(task.walls)}  [script {inside}; {objects:,.0f} objects{called}]")

    print("\ninside the process, imports excluded: discover + gate + resolve against listing the entry points")
    discover = t["manifold discover"]
    heavy = [name for name in discover.facts["heavy"] if name in HEAVY]
    absent = [name for name in (*HEAVY, "tomllib", "tomli") if name not in discover.facts["heavy"]]
    print(
        f"  {'manifold Manager.discover(), warm manifest cache':<56}{ms(discover.inner['discover'])}"
        f"  [{discover.facts['resolved']} resolved; imported by then in any run: "
        f"{', '.join(discover.facts['heavy']) or 'none'}; in no run: {', '.join(absent) or 'none'}]"
    )
    listing = t["stevedore list"]
    print(
        f"  {'stevedore list_entry_points(), warm entry point cache':<56}{ms(listing.inner['list'])}"
        f"  [{listing.facts['listed']} listed]"
    )
    print(
        f"  {'(imports, same processes: from manifold import Manager':<56}{ms(discover.inner['import'])}\n"
        f"  {' from stevedore import ExtensionManager)':<56}{ms(listing.inner['import'])}"
    )

    one, named, every = t["manifold lazy one point"], t["stevedore one point"], t["manifold lazy full"]
    print(
        f"\nlazy use of one point of {STANDALONE} plugins, fresh process: imports and discovery included, warm caches"
    )
    print(f"  (a set of {n} lazy plugins; {one.facts['point']}: the point of the {STANDALONE} that need no other)")
    others = ", ".join(one.facts["others"]) or "none"
    print(
        f"  {'manifold: discover, load the point extensions':<56}{ms(one.walls)}"
        f"  [script {ms(one.inner['ready']).strip()}; the loads {ms(one.inner['use']).strip()};"
        f" {one.facts['active']} active, {one.facts['packages']} plugin packages imported]"
    )
    print(f"  {'':<56}first imported by the loads, besides plugins: {others}")
    print(
        f"  {'stevedore NamedExtensionManager, the same 10 by name':<56}{ms(named.walls)}"
        f"  [script {ms(named.inner['ready']).strip()}; {named.facts['loaded']} loaded]"
    )
    print(
        f"  {'manifold full start of the same lazy set (activate all)':<56}{ms(every.walls)}"
        f"  [script {ms(every.inner['ready']).strip()}; {every.facts['active']} active]"
    )

    processes = IMPORT_REPEAT * repeat
    print(f"\nimports, whole process ({processes} processes each)")
    bare = median(t["pass"].walls)
    for label in ("pass", "import pluggy", "import stevedore", "from manifold import Manager"):
        extra = "" if label == "pass" else f"  +{(median(t[label].walls) - bare) * 1000:.1f} ms over bare"
        print(f"  {'python -c ' + repr(label):<56}{ms(t[label].walls)}{extra}")

    def ratio(a: str, b: str) -> float:
        return median(t[a].walls) / median(t[b].walls)

    def objects(label: str) -> str:
        return f"{median(t[label].inner['objects']):,.0f}"

    whole = f"whole process, {repeat} runs"
    full_warm = ratio("manifold warm", "stevedore warm")
    hook = ratio("manifold warm + hook", "pluggy + hook")
    listed = median(discover.inner["discover"]) / median(listing.inner["list"])
    imported = ratio("from manifold import Manager", "import stevedore")
    pluggy_import = ratio("import pluggy", "import stevedore")
    lazy = ratio("manifold lazy one point", "stevedore one point")
    share = ratio("manifold lazy one point", "manifold lazy full")
    eager_share = ratio("manifold lazy one point", "manifold warm")
    cold_stevedore = ratio("manifold cold", "stevedore cold")
    cold_pluggy = ratio("manifold cold", "pluggy")
    return [
        Target(
            "1a",
            f"warm full start, {n} plugins, objects in a list / stevedore warm ({whole})",
            "<= 0.75x",
            f"{full_warm:.2f}x; objects at exit {objects('manifold warm')} vs {objects('stevedore warm')}",
            full_warm <= 0.75,
        ),
        Target(
            "1b",
            f"the same + hook built and called / entry points + pluggy + hook ({whole})",
            "<= 0.5x",
            f"{hook:.2f}x; objects at exit {objects('manifold warm + hook')} vs {objects('pluggy + hook')}",
            hook <= 0.5,
        ),
        Target(
            "2",
            f"warm discover+gate+resolve / stevedore warm list_entry_points (in-process, no imports, {repeat} runs)",
            "<= 1.0x, no jsonschema, networkx",
            f"{listed:.2f}x, {', '.join(heavy) or 'neither'} imported",
            listed <= 1.0 and not heavy,
        ),
        Target(
            "3",
            f"from manifold import Manager / import stevedore (whole process, {processes} runs)",
            "<= 1.0x",
            f"{imported:.2f}x (import pluggy {pluggy_import:.2f}x)",
            imported <= 1.0,
        ),
        Target(
            "4a",
            f"lazy use of one point ({STANDALONE} plugins), discovery+imports / stevedore 10 by name ({whole})",
            "<= 1.0x",
            f"{lazy:.2f}x",
            lazy <= 1.0,
        ),
        Target(
            "4b",
            f"the same / manifold's own full start of that set ({whole})",
            "<= 30%",
            f"{share * 100:.0f}% (of the eager set's warm full start: {eager_share * 100:.0f}%)",
            share <= 0.30,
        ),
        Target(
            "6a",
            f"cold full start (cache emptied, written) / stevedore, entry point cache emptied ({whole})",
            "<= 1.0x",
            f"{cold_stevedore:.2f}x",
            cold_stevedore <= 1.0,
        ),
        Target(
            "6b",
            f"cold full start / entry points + pluggy ({whole})",
            "<= 0.75x",
            f"{cold_pluggy:.2f}x",
            cold_pluggy <= 0.75,
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
        default=default_venv(),
        help="environment with stevedore, pluggy and manifold; created when missing (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.n < STANDALONE:
        parser.error(f"--n must be at least {STANDALONE}")
    python, versions = ensure_venv(args.venv.expanduser().absolute())
    base = args.dir or (Path("/dev/shm") if os.path.isdir("/dev/shm") else None)
    with tempfile.TemporaryDirectory(dir=base, prefix="manifold-peers-") as tmp:
        root = Path(tmp)
        generate(root / "eager", args.n, seed=0, lazy_ratio=0.0)
        generate(root / "hook", args.n, seed=0, lazy_ratio=0.0, host_hook=HOOK)
        generate(root / "lazy", args.n, seed=0, lazy_ratio=1.0, standalone=STANDALONE)
        counts = install_as_distributions(root / "eager", root / "site-packages")
        install_as_distributions(root / "hook", root / "site-hook")
        install_as_distributions(root / "lazy", root / "site-lazy")
        (root / "cwd").mkdir()
        size = read_all(root)
        print(
            f"peer_bench: N = {args.n} plugins (seed 0) in {root}; {args.repeat} counted rounds after 1 warm-up, "
            f"a fresh process per measurement, median (min-max)\n"
            f"  Python {versions['python']} at {python}; manifold {versions['manifold-plugins']} "
            f"({Path(versions['file']).parent}), stevedore {versions['stevedore']}, pluggy {versions['pluggy']}\n"
            f"  peers: per set, {counts['plugins']} dist-infos with {counts['plugins']} entry points in {GROUP} "
            f"and the extensions in groups named by their points ({counts['extensions']} in the eager set); "
            f"{size / 1e6:.1f} MB read before timing",
            flush=True,
        )
        tasks = build_tasks(python, root, args.n)
        rounds(tasks, child_env(root), root / "cwd", args.repeat)
        targets = report(tasks, args.n, args.repeat)
    print(
        "\nchecks passed in every run: N resolved and N active, held, loaded or registered; the hook reached N"
        " plugins; each warm run found its cache filled and wrote none; each cold run wrote its cache from empty"
    )
    print_targets(targets)
    write_targets(args.targets, targets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
