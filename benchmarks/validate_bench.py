"""Time ``manifold.validate`` on generated plugin sets, each measurement in a fresh process.

For each N (default 1000) the script generates N plugins (benchmarks/generate.py) into a
temporary folder, on /dev/shm when it exists so that disk and file cache do not add noise,
reads every file once, then runs each measurement ``--repeat`` times (default 7), each in a
new Python process, round-robin, after one discarded warm-up round:

  (a) bare:  os.scandir + read + ``loads`` of every plugin.toml (the floor), twice: with tomllib
      and with tomli (when installed); the ratios are over the one manifold itself reads
      manifests with (the module ``manifold.manifest.toml`` takes ``loads`` from, found at run time);
  (b) manifold.validate([folder], check_code=False, jobs=1): one process, no fork;
  (c) manifold.validate([folder], jobs=1), and manifold.validate([folder]) as a host calls it (the
      scan of the plugins' Python code included; a process per CPU when there are hundreds of files);
  (d) the whole ``python -m manifold validate DIR`` process, wall time.

(b) and (c) are cold: a fresh process, and no manifest cache (``validate`` reads none; were it
to take a ``cache`` option, the script passes ``cache=False``).

(a)-(c) are timed inside the process with time.perf_counter around the call only; imports
are timed on their own: ``import manifold; from manifold import validate``, then
``import jsonschema, networkx, fastjsonschema`` (which manifold imports lazily, at the first
validation). Packages still first imported inside the timed call are listed. (c) is also
timed a second time in the same process (warm: caches and compiled validators ready).
Python's own start-up (``python -c pass``) is timed for reference. The script checks that every run found N valid
manifests with no diagnostic, and that validation imported no plugin code (no ``bench_*``
module in ``sys.modules``).

``--profile`` also runs ``validate()`` once under cProfile (fresh process, first N) and
prints where the time goes: by stage, by library, and the top functions.

    python benchmarks/validate_bench.py [--n 1000 5000] [--repeat 7] [--profile | --profile-only]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate
from targets import Target, write_targets

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# Run in a fresh process: ``python -c CHILD MODE FOLDER``; prints one JSON object.
CHILD = r"""
import inspect, json, os, sys, time
mode, folder = sys.argv[1], sys.argv[2]
out = {}
if mode.startswith("bare"):
    if mode == "bare-tomli":
        from tomli import loads
    else:
        from tomllib import loads
    start = time.perf_counter()
    count = 0
    for entry in os.scandir(folder):
        if entry.is_dir():
            with open(os.path.join(entry.path, "plugin.toml"), "rb") as f:
                loads(f.read().decode("utf-8"))
            count += 1
    out["seconds"] = time.perf_counter() - start
    out["manifests"] = count
else:
    start = time.perf_counter()
    import manifold
    from manifold import validate  # the package may load its modules on first use
    # what validate() imports on first use: the reader, the fan-out
    import manifold.sources.fanout, manifold.manifest.read
    out["import_manifold"] = time.perf_counter() - start
    start = time.perf_counter()
    import jsonschema, networkx
    try:
        import fastjsonschema  # manifold's compiled fast path, where it is installed
    except ImportError:
        pass
    out["import_deps"] = time.perf_counter() - start
    accepts = inspect.signature(validate).parameters
    options = {}
    if mode in ("nocode", "code1") and "jobs" in accepts:
        options["jobs"] = 1  # this process only, no fork
    if "cache" in accepts:
        options["cache"] = False  # cold: no manifest cache
    before = set(sys.modules)
    start = time.perf_counter()
    report = validate([folder], check_code=(mode != "nocode"), **options)
    out["seconds"] = time.perf_counter() - start
    # Modules first imported inside the timed call (lazy imports the rows above do not cover).
    out["late_imports"] = sorted({m.partition(".")[0] for m in set(sys.modules) - before})
    if mode == "code":  # the same call again in the same process: caches and compiled validators warm
        start = time.perf_counter()
        validate([folder])
        out["warm"] = time.perf_counter() - start
    try:  # the TOML parser manifold reads manifests with: the module its one reader takes loads() from
        from manifold.manifest.toml import loads as manifold_loads
        out["parser"] = manifold_loads.__module__.partition(".")[0]
    except ImportError:
        out["parser"] = "tomli" if "tomli" in sys.modules else "tomllib"
    out["options"] = sorted(options)
    out["manifests"] = len(report.manifests)
    out["diagnostics"] = [d.format() for d in report.diagnostics[:5]]
    out["n_diagnostics"] = len(report.diagnostics)
    out["leaked"] = sorted(m for m in sys.modules if m.startswith("bench_"))
print(json.dumps(out))
"""

# The imports before the profiled call are those of CHILD's timed rows: ``import manifold`` loads its
# modules on first use, and validate()'s reader and fan-out are imported before the clock starts.
PROFILE_CHILD = r"""
import cProfile, sys
import manifold, jsonschema, networkx
from manifold import validate
import manifold.sources.fanout, manifold.manifest.read
folder, out = sys.argv[1], sys.argv[2]
profile = cProfile.Profile()
profile.enable()
report = validate([folder], jobs=1)  # a profiler sees this process only
profile.disable()
profile.dump_stats(out)
assert not report.diagnostics, report.diagnostics[:3]
assert not [m for m in sys.modules if m.startswith("bench_")]
"""

# Stage timers without a profiler: wrap some of manifold's functions (where they are looked up)
# with perf_counter accumulators, run validate() once, print {label: [seconds, calls]}.
# Generators are drained inside the wrapper so that their work is counted. A name that no
# longer exists is skipped. ``caller``: only calls from a function of that name are timed. The rows
# are those of the cProfile stages (STAGES), one level less indented.
TIMERS_CHILD = r"""
import inspect, json, sys, time
import manifold, jsonschema, networkx
import manifold.graph.rules, manifold.manifest._compiled.plugin, manifold.manifest.codescan
import manifold.manifest.embedded, manifold.manifest.model, manifold.manifest.parsed, manifold.manifest.read
import manifold.manifest.rules, manifold.manifest.schema, manifold.manifest.toml, manifold.validation
folder = sys.argv[1]
times = {}

def wrap(label, owner, name, caller=None):
    fn = getattr(owner, name, None)
    if fn is None:
        return
    gen = inspect.isgeneratorfunction(fn)
    entry = times.setdefault(label, [0.0, 0])

    def timed(*args, **kwargs):
        if caller is not None:
            frame = sys._getframe(1)
            while frame.f_code is timed.__code__:  # another row's timer around the same function
                frame = frame.f_back
            if frame.f_code.co_name != caller:
                return fn(*args, **kwargs)
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
            return iter(list(result)) if gen else result
        finally:
            entry[0] += time.perf_counter() - start
            entry[1] += 1

    setattr(owner, name, timed)

v, read, toml, rules, schema, compiled, embedded, model, parsed, code, graph = (
    sys.modules[f"manifold.{name}"]
    for name in (
        "validation", "manifest.read", "manifest.toml", "manifest.rules", "manifest.schema",
        "manifest._compiled.plugin", "manifest.embedded", "manifest.model", "manifest.parsed",
        "manifest.codescan", "graph.rules",
    )
)
# validate() (manifold/validation.py) and what it calls, in pipeline order.
wrap("find_manifests (sources/scan.py)", v, "find_manifests")
wrap("parse_manifest (manifest/read.py), per file", read, "parse_manifest")
wrap("  read_toml (manifest/toml.py: read, decode)", read, "read_toml")
parser = getattr(getattr(toml, "loads", None), "__module__", "tomli").partition(".")[0]
wrap(f"    {parser}.loads", toml, "loads")
wrap("  check_plugin_data: rules + schema", read, "check_plugin_data")
wrap("    check_semantics (manifest/rules.py)", read, "check_semantics")
wrap("      version, requires-* (packaging)", rules, "_plugin_problems")
wrap("      dependency specifiers (packaging)", rules, "_specifier_problems", caller="check_semantics")
wrap("      embedded schemas: check_schema", rules, "check_schema")
wrap("      code paths: packages, refs", rules, "_code_problems")
wrap("        has_module (stat)", rules, "has_module")
wrap("        _package_problems", rules, "_package_problems")
if hasattr(rules, "_ModuleIndex"):
    wrap("          _ModuleIndex (sys.path listing)", rules._ModuleIndex, "__contains__")
wrap("    schema_problems (manifest/schema.py)", read, "schema_problems")
# The compiled validator is looked up once (functools.cache): wrapped before validate() first asks for it.
wrap("      compiled validator (_compiled/plugin.py)", compiled, "validate")
getattr(getattr(schema, "compiled_validator", None), "cache_clear", lambda: None)()
wrap("  place (locate), per file", read, "place")
wrap("  Manifest.from_data (manifest/model.py)", model.Manifest, "from_data")
wrap("scan_plugin (manifest/codescan.py), per plugin", v, "scan_plugin")
wrap("  read + ast.parse", code, "_parse")
wrap("  references: _reference_problems", code, "_reference_problems")
wrap("  import statements", code, "_imports")
wrap("  place (locate), code findings", parsed.ParsedFile, "place", caller="scan_plugin")
wrap("_set_diagnostics: set rules, placed", v, "_set_diagnostics")
wrap("  check_set (graph/rules.py)", v, "check_set")
wrap("    dependencies (packaging)", graph, "_check_dependencies")
wrap("    load_order (graph/order.py)", graph, "load_order")
wrap("    extensions: points, cardinality", graph, "_check_extensions")
wrap("      config vs config-schema", embedded, "instance_problems", caller="_check_extensions")
wrap("  place (locate), set findings", parsed.ParsedFile, "place", caller="_set_diagnostics")
wrap("_hook_parameters (hook signatures)", v, "_hook_parameters")
wrap("undeclared_imports", v, "undeclared_imports")
wrap("sort_diagnostics", v, "sort_diagnostics")
start = time.perf_counter()
report = manifold.validate([folder], jobs=1)  # the timers see this process only
times["validate (total)"] = [time.perf_counter() - start, 1]
assert not report.diagnostics, report.diagnostics[:3]
print(json.dumps(times))
"""

MODES = ("bare-tomllib", "bare-tomli", "nocode", "code1", "code", "cli")
LABELS = {
    "bare-tomllib": "(a) bare: scandir + read + tomllib.loads",
    "bare-tomli": "(a) bare: scandir + read + tomli.loads",
    "nocode": "(b) validate(check_code=False, jobs=1)",
    "code1": "(c) validate(jobs=1): one process",
    "code": "(c) validate(): a process per CPU",
    "cli": "(d) CLI process: python -m manifold validate",
    "warm": "(c) again in the same process (warm)",
    "import_manifold": "import manifold, validate and its reader",
    "import_deps": "import jsonschema, networkx, fastjsonschema",
    "startup": "python -c pass (process wall)",
}


def _env(tmp: Path) -> dict[str, str]:
    """The child processes' environment: manifold from src/, bytecode cached under ``tmp``.

    Imports are timed as an installed package would have them, with cached bytecode: writing
    it is allowed even where PYTHONDONTWRITEBYTECODE is set, but into ``tmp/pycache``, never
    beside the sources. The warm-up round fills that cache.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return env


def _tmp_base() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _preread(folder: Path) -> tuple[int, int]:
    """Read every file once (into the page cache); return the number of files and bytes."""
    files = size = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            size += len(Path(dirpath, name).read_bytes())
            files += 1
    return files, size


class Runner:
    def __init__(self, python: str, folder: Path, n: int, env: dict[str, str]) -> None:
        self.python, self.folder, self.n, self.env = python, folder, n, env

    def run(self, mode: str) -> dict[str, Any]:
        """One measurement in a fresh process; checks its outcome."""
        if mode == "startup":
            start = time.perf_counter()
            subprocess.run([self.python, "-c", "pass"], check=True, env=self.env, cwd=ROOT)
            return {"seconds": time.perf_counter() - start}
        if mode == "cli":
            command = [self.python, "-m", "manifold", "validate", str(self.folder)]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=self.env, cwd=ROOT)
            seconds = time.perf_counter() - start
            expected = f"0 errors, 0 warnings; {self.n} valid manifests"
            if done.returncode != 0 or expected not in done.stderr:
                raise AssertionError(f"CLI run failed ({done.returncode}): {done.stderr[-2000:]}")
            return {"seconds": seconds}
        done = subprocess.run(
            [self.python, "-c", CHILD, mode, str(self.folder)],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise AssertionError(f"{mode} run failed: {done.stderr[-2000:]}")
        out: dict[str, Any] = json.loads(done.stdout)
        if out["manifests"] != self.n or out.get("n_diagnostics"):
            raise AssertionError(f"{mode}: expected {self.n} clean manifests, got {out}")
        if out.get("leaked"):
            raise AssertionError(f"{mode}: validation imported plugin code: {out['leaked'][:5]}")
        return out


def _stats(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{statistics.median(ms):8.1f} ms  ({min(ms):.1f}-{max(ms):.1f})"


@dataclass
class Measured:
    """What ``bench`` measured at one N: seconds by row, and the parser manifold read the manifests with."""

    results: dict[str, list[float]]
    parser: str
    options: list[str]


def bench(n: int, repeat: int, python: str, base: str | None, keep: bool) -> Measured:
    tmp = Path(tempfile.mkdtemp(prefix="manifold-bench-", dir=base))
    folder = tmp / f"plugins-{n}"
    try:
        start = time.perf_counter()
        generate(folder, n, seed=0)
        generated = time.perf_counter() - start
        files, size = _preread(folder)
        print(
            f"\nN = {n} plugins: {files} files, {size / 1e6:.1f} MB in {folder} "
            f"(generated in {generated:.1f} s); {repeat} fresh processes per row, "
            "median (min-max); (a)-(c) timed inside the process around the call only (imports apart)"
        )
        runner = Runner(python, folder, n, _env(tmp))
        has_tomli = subprocess.run([python, "-c", "import tomli"], capture_output=True).returncode == 0
        modes = tuple(m for m in (*MODES, "startup") if has_tomli or m != "bare-tomli")
        results: dict[str, list[float]] = {}
        late: set[str] = set()
        parsers: set[str] = set()
        options: set[str] = set()
        for mode in modes:  # warm-up round: bytecode caches, page cache; not counted
            runner.run(mode)
        for _ in range(repeat):
            for mode in modes:
                out = runner.run(mode)
                results.setdefault(mode, []).append(out["seconds"])
                for key in ("import_manifold", "import_deps", "warm"):
                    if key in out:
                        results.setdefault(key, []).append(out[key])
                late.update(out.get("late_imports", ()))
                if "parser" in out:
                    parsers.add(out["parser"])
                if mode == "nocode":
                    options.update(out["options"])
        if len(parsers) != 1:
            raise SystemExit(f"manifold's TOML parser differs between runs: {sorted(parsers)}")
        parser = parsers.pop()
        same = f"bare-{parser}"
        if same not in results:
            raise SystemExit(f"manifold reads manifests with {parser}, which has no bare row here")
        bare = statistics.median(results[same])
        print(f"  ratios: over the bare loop with the parser manifold uses ({parser})")
        for mode in ("bare-tomllib", "bare-tomli", "nocode", "code1", "code", "warm", "cli"):
            if mode in results:
                ratio = statistics.median(results[mode]) / bare
                print(f"  {LABELS[mode]:<46} {_stats(results[mode])}  {ratio:5.2f}x ({parser})")
        if not has_tomli:
            print("  (tomli is not installed in this interpreter: no tomli row)")
        if late:
            shown = ", ".join(sorted(name for name in late if not name.startswith("_")))
            print(f"  packages first imported inside the timed (b)/(c) calls: {shown}")
        print(
            f"  (b) and (c) are cold: a fresh process each, no manifest cache "
            f"({'cache=False given' if 'cache' in options else 'validate() reads none'})"
            f"{'; (b) with jobs=1: this process only, no fork' if 'jobs' in options else ''}"
        )
        print("  imports, timed in the (b) and (c) processes:")
        for key in ("import_manifold", "import_deps"):
            print(f"    {LABELS[key]:<44} {_stats(results[key])}")
        print(f"  {LABELS['startup']:<46} {_stats(results['startup'])}")
        checked = len(results["nocode"]) + len(results["code1"]) + len(results["code"]) + 3
        print(
            f"  check: no bench_* module in sys.modules after validate ({checked} (b)/(c) runs, warm-up included): OK"
        )
        code, one, cli = (statistics.median(results[key]) for key in ("code", "code1", "cli"))
        print(
            f"validate {n} plugins: {code * 1000:.0f} ms ({code / bare:.2f}x bare {parser}); "
            f"in one process {one * 1000:.0f} ms ({one / bare:.2f}x); the whole CLI process {cli * 1000:.0f} ms"
        )
        return Measured(results, parser, sorted(options))
    finally:
        if keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# -- profile ---------------------------------------------------------------------------------

# The module that defines validate(), under its current and its former name.
VALIDATE_FILES = ("manifold/validation.py", "manifold/validate.py")

_READ = "manifold/manifest/read.py"
_RULES = "manifold/manifest/rules.py"
_CODESCAN = "manifold/manifest/codescan.py"
_GRAPH = "manifold/graph/rules.py"
_DIAGNOSTICS = "manifold/manifest/diagnostics.py"
# tomli's loads: compiled (a builtin to cProfile, file "~") or pure Python; tomllib's, were manifold to use it.
_LOADS_FILES = ("~", "tomli/_parser.py", "tomllib/_parser.py")
_LOADS = ("loads", "<built-in method tomli._parser.loads>")

# Stages: label, file suffix and names of the functions (none: any function of the file), and (when
# the function is called from several places) the callers to count: a file suffix, or a file suffix
# and a function name ("file:name"); cumulative time of those calls.
STAGES: tuple[tuple[str, str | tuple[str, ...], tuple[str, ...], str | None], ...] = (
    ("validate (total)", VALIDATE_FILES, ("validate",), None),
    ("  find_manifests (sources/scan.py)", "manifold/sources/scan.py", ("find_manifests",), None),
    ("  parse_manifest (manifest/read.py), per file", _READ, ("parse_manifest",), None),
    ("    read_toml (manifest/toml.py: read, decode)", "manifold/manifest/toml.py", ("read_toml",), None),
    ("      tomli.loads", _LOADS_FILES, _LOADS, "manifold/manifest/toml.py"),
    ("    check_plugin_data: rules + schema", _READ, ("check_plugin_data",), None),
    ("      check_semantics (manifest/rules.py)", _RULES, ("check_semantics",), None),
    ("        version, requires-* (packaging)", _RULES, ("_plugin_problems",), None),
    ("        dependency specifiers (packaging)", _RULES, ("_specifier_problems",), f"{_RULES}:check_semantics"),
    ("        embedded schemas: check_schema", "manifold/manifest/embedded.py", ("check_schema",), _RULES),
    ("        code paths: packages, refs", _RULES, ("_code_problems",), None),
    ("          has_module (stat)", _RULES, ("has_module",), _RULES),
    ("          _package_problems", _RULES, ("_package_problems",), None),
    ("            _ModuleIndex (sys.path listing)", _RULES, ("__contains__",), _RULES),
    ("      schema_problems (manifest/schema.py)", "manifold/manifest/schema.py", ("schema_problems",), None),
    (
        "        compiled validator (_compiled/plugin.py)",
        "manifold/manifest/_compiled/plugin.py",
        (),
        "manifold/manifest/schema.py",
    ),
    ("    place (locate), per file", _DIAGNOSTICS, ("place",), _READ),
    ("    Manifest.from_data (manifest/model.py)", "manifold/manifest/model.py", ("from_data",), _READ),
    ("  scan_plugin (manifest/codescan.py), per plugin", _CODESCAN, ("scan_plugin",), None),
    ("    read + ast.parse", _CODESCAN, ("_parse",), None),
    ("    references: _reference_problems", _CODESCAN, ("_reference_problems",), None),
    ("    import statements", _CODESCAN, ("_imports",), None),
    ("    place (locate), code findings", "manifold/manifest/parsed.py", ("place",), f"{_CODESCAN}:scan_plugin"),
    ("  _set_diagnostics: set rules, placed", VALIDATE_FILES, ("_set_diagnostics",), None),
    ("    check_set (graph/rules.py)", _GRAPH, ("check_set",), None),
    ("      dependencies (packaging)", _GRAPH, ("_check_dependencies",), None),
    ("      load_order (graph/order.py)", "manifold/graph/order.py", ("load_order",), _GRAPH),
    ("      extensions: points, cardinality", _GRAPH, ("_check_extensions",), None),
    ("        config vs config-schema", "manifold/manifest/embedded.py", ("instance_problems",), _GRAPH),
    (
        "    place (locate), set findings",
        "manifold/manifest/parsed.py",
        ("place",),
        "manifold/validation.py:_set_diagnostics",
    ),
    ("  _hook_parameters (hook signatures)", VALIDATE_FILES, ("_hook_parameters",), None),
    ("  undeclared_imports", _CODESCAN, ("undeclared_imports",), None),
    ("  sort_diagnostics", _DIAGNOSTICS, ("sort_diagnostics",), None),
)

_Key = tuple[str, int, str]
_JSONSCHEMA = "jsonschema+referencing+rpds"


def _library(key: _Key) -> str:
    file = key[0].replace("\\", "/")
    for marker, name in (
        ("/tomllib/", "tomllib"),
        ("/tomli/", "tomli"),
        ("/jsonschema/", _JSONSCHEMA),
        ("/referencing/", _JSONSCHEMA),
        ("referencing.", _JSONSCHEMA),  # attrs-generated methods
        ("/jsonschema_specifications/", _JSONSCHEMA),
        ("/rpds/", _JSONSCHEMA),
        ("/attr/", _JSONSCHEMA),
        ("/packaging/", "packaging"),
        ("/networkx/", "networkx"),
        ("/manifold/", "manifold (own code)"),
        ("importlib", "importlib (imports inside validate)"),
        ("/re/", "re"),
        ("/ast.py", "ast"),
    ):
        if marker in file:
            return name
    stem = Path(file.strip("<>").removeprefix("frozen ")).name
    if stem in (
        "pathlib.py",
        "posixpath.py",
        "genericpath.py",
        "os.py",
        "posixpath",
        "genericpath",
        "os",
    ):
        return "pathlib/os"
    if file == "<string>":  # code made with exec(), such as a compiled schema validator
        return "exec'd code (<string>)"
    return "other (builtins)" if file == "~" else f"other ({'/'.join(Path(file).parts[-2:])})"


def _charge(key: _Key, stats: dict[_Key, tuple]) -> dict[str, float]:  # type: ignore[type-arg]
    """Exclusive time of ``key`` by library; a builtin is charged to the library calling it."""
    tt, callers = stats[key][2], stats[key][4]
    if key[2] == "<built-in method builtins.compile>":
        return {"ast": tt}
    if key[0] == "~" and key[2].startswith("<built-in method tomli."):  # tomli compiled: its own library
        return {"tomli": tt}
    if key[0] != "~" or not callers:
        return {_library(key): tt}
    total = sum(c[2] for c in callers.values()) or 1.0
    out: dict[str, float] = {}
    for caller, info in callers.items():
        name = _library(caller)
        if name == "manifold (own code)" and "posix" in key[2]:
            name = "pathlib/os"
        out[name] = out.get(name, 0.0) + tt * info[2] / total
    return out


def _ms(seconds: float) -> str:
    """Milliseconds in 8 columns: one decimal, or three below 0.1 ms (a stage that ran shows a figure)."""
    ms = seconds * 1000
    return f"{ms:8.1f}" if ms >= 0.1 or ms == 0 else f"{ms:8.3f}"


def profile(n: int, python: str, base: str | None, top: int, timer_runs: int = 5) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="manifold-profile-", dir=base))
    try:
        folder = tmp / f"plugins-{n}"
        generate(folder, n, seed=0)
        _preread(folder)
        env = _env(tmp)
        subprocess.run([python, "-c", "import manifold, jsonschema, networkx"], env=env, check=True, cwd=ROOT)
        runs = []
        for _ in range(timer_runs):
            command = [python, "-c", TIMERS_CHILD, str(folder)]
            done = subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)
            runs.append(json.loads(done.stdout))
        out = tmp / "validate.prof"
        command = [python, "-c", PROFILE_CHILD, str(folder), str(out)]
        subprocess.run(command, check=True, env=env, cwd=ROOT)
        stats = pstats.Stats(str(out))
        table: dict[_Key, tuple] = stats.stats  # type: ignore[attr-defined,type-arg]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def cumulative(suffix: str | tuple[str, ...], names: tuple[str, ...], caller: str | None) -> tuple[float, int]:
        seconds, calls = 0.0, 0
        caller_file, _, caller_name = (caller or "").partition(":")
        for key, value in table.items():
            if not (key[0].replace("\\", "/").endswith(suffix) and (not names or key[2] in names)):
                continue
            if caller is None:
                seconds, calls = seconds + value[3], calls + value[1]
                continue
            for where, info in value[4].items():
                if where[0].replace("\\", "/").endswith(caller_file) and caller_name in ("", where[2]):
                    seconds, calls = seconds + info[3], calls + info[1]
        return seconds, calls

    total = statistics.median(run["validate (total)"][0] for run in runs)
    print(
        f"\nstage timers on {n} plugins, no profiler (functions wrapped with perf_counter), "
        f"median of {timer_runs} fresh processes:"
    )
    order = ["validate (total)", *(k for k in runs[0] if k != "validate (total)")]
    for label in order:
        seconds = statistics.median(run[label][0] for run in runs)
        calls = runs[0][label][1]
        print(f"  {label:<50} {_ms(seconds)} ms {100 * seconds / total:5.1f}%  {calls:>7} calls")

    total = cumulative(VALIDATE_FILES, ("validate",), None)[0]
    print(f"\nprofile of validate() on {n} plugins under cProfile: {total * 1000:.0f} ms")
    print("  (cProfile slows pure-Python code most; compare shares, not absolute times)")
    print("\n  by stage, cumulative time:")
    for label, suffix, names, caller in STAGES:
        seconds, calls = cumulative(suffix, names, caller)
        share = 100 * seconds / total
        print(f"  {label:<50} {_ms(seconds)} ms {share:5.1f}%  {calls:>7} calls")
    libraries: dict[str, float] = {}
    for key in table:
        for name, seconds in _charge(key, table).items():
            libraries[name] = libraries.get(name, 0.0) + seconds
    print("\n  by library, exclusive time (builtins charged to their caller's library):")
    for name, seconds in sorted(libraries.items(), key=lambda item: -item[1])[:12]:
        print(f"  {name:<50} {seconds * 1000:8.1f} ms {100 * seconds / total:5.1f}%")
    print(f"\n  top {top} functions by cumulative time:")
    rows = sorted(table.items(), key=lambda item: -item[1][3])[:top]
    for (file, line, name), (_, calls, tt, ct, _) in rows:
        where = "/".join(Path(file).parts[-2:]) if file != "~" else ""
        label = f"{where}:{line}({name})" if where else name
        print(f"  {ct * 1000:8.1f} ms cum {tt * 1000:7.1f} ms own {calls:>8} calls  {label[-90:]}")


def cold_validation(measured: Measured, n: int, repeat: int) -> list[Target]:
    """Target 5: validating the manifests in one process, cold, against the bare loop with the same parser:
    without the code scan (``check_code=False``, ``jobs=1``) and with it (``validate()`` as it is called)."""
    results, parser = measured.results, measured.parser
    bare, nocode, code = (statistics.median(results[key]) for key in (f"bare-{parser}", "nocode", "code"))
    others = [p for p in ("tomllib", "tomli") if p != parser and f"bare-{p}" in results]
    beside = "".join(f"; over bare {p}: {nocode / statistics.median(results[f'bare-{p}']):.2f}x" for p in others)
    one = ", jobs=1" if "jobs" in measured.options else ""
    where = f"in-process, cold, {repeat} runs"
    return [
        Target(
            "5a",
            f"validate {n} manifests, check_code=False{one} / bare scandir+read+{parser} ({where})",
            "<= 1.5x",
            f"{nocode / bare:.2f}x{beside}",
            nocode / bare <= 1.5,
        ),
        Target(
            "5b",
            f"validate() as called by default (code scan; default jobs) / the same bare loop ({where})",
            "<= 2.5x",
            f"{code / bare:.2f}x",
            code / bare <= 2.5,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000], help="plugin counts (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (default 7)")
    parser.add_argument("--python", default=sys.executable, help="interpreter to measure")
    parser.add_argument("--dir", help="where to generate (default /dev/shm when it exists)")
    parser.add_argument("--keep", action="store_true", help="keep the generated plugins")
    parser.add_argument("--profile", action="store_true", help="also profile validate() once")
    parser.add_argument("--profile-only", action="store_true", help="profile, do not time")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --profile")
    parser.add_argument("--targets", metavar="FILE", help="also write target 5 (at the first --n) to FILE as JSON")
    args = parser.parse_args(argv)
    base = args.dir or _tmp_base()
    print(
        f"manifold validate benchmark, {datetime.date.today()}: Python {platform.python_version()} "
        f"({args.python}), {os.cpu_count()} CPUs, {platform.machine()}, "
        f"files in {base or tempfile.gettempdir()}; load average {os.getloadavg()[0]:.2f}"
    )
    timed = [bench(n, args.repeat, args.python, base, args.keep) for n in ([] if args.profile_only else args.n)]
    if timed:
        write_targets(args.targets, cold_validation(timed[0], args.n[0], args.repeat))
    if args.profile or args.profile_only:
        profile(args.n[0], args.python, base, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
