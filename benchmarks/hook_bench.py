"""Time one hook call with N implementations: manifold's compiled caller, pluggy's, and a plain loop.

The same N function objects (loaded by manifold from N plugins) are called three ways in one
process: ``manager.hook(point)(**kwargs)``, ``pm.hook.name(**kwargs)`` (registered so that pluggy
calls them in the same order) and a plain ``for`` loop over a tuple of them collecting the non-None
results. Each is timed over ``--calls`` calls, ``--repeat`` times, interleaved; the medians are
printed per call, with their ratios. Three cases: all results collected; ``firstresult`` where
only the last implementation answers (so all N run); and the first case inside one wrapper.

    python benchmarks/hook_bench.py [--impls 10] [--calls 100000] [--repeat 7]

Needs pluggy (``pip install 'manifold-plugins[pluggy]'``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import textwrap
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pluggy

from manifold import Manager

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import Target, write_targets

POINT = "bench.kettle_on"
FIRST = "bench.first_answer"
WRAPPED = "bench.wrapped"
GOAL = 0.2  # manifold's call over pluggy's, all results collected (target 8 of the performance issue)


def write_plugins(root: Path, n: int) -> None:
    """N plugins, each contributing one implementation to each of the three hooks (and one wrapper)."""
    for i in range(n):
        folder = root / f"p{i:02d}"
        (folder / f"hb_p{i:02d}").mkdir(parents=True)
        answer = "kettle" if i == n - 1 else "None"
        (folder / f"hb_p{i:02d}" / "__init__.py").write_text(
            textwrap.dedent(
                f"""
                def on(kettle, temperature):
                    return temperature

                def first(kettle, temperature):
                    return {answer}

                def wrap(kettle):
                    return (yield)
                """
            )
        )
        extensions = "".join(
            f'[[extensions]]\npoint = "{point}"\nref = "hb_p{i:02d}:{name}"\n\n'
            for point, name in ((POINT, "on"), (FIRST, "first"), (WRAPPED, "on"))
        )
        if i == 0:
            extensions += f'[[extensions]]\npoint = "{WRAPPED}"\nref = "hb_p00:wrap"\nwrapper = true\n'
        (folder / "plugin.toml").write_text(
            f'[plugin]\nid = "bench.p{i:02d}"\nversion = "1.0"\npackages = ["hb_p{i:02d}"]\n\n{extensions}'
        )


def pluggy_manager(functions: dict[str, Sequence[Callable[..., Any]]]) -> pluggy.PluginManager:
    spec = pluggy.HookspecMarker("bench")
    impl = pluggy.HookimplMarker("bench")

    class Specs:
        @spec
        def kettle_on(self, kettle: Any, temperature: Any) -> Any: ...

        @spec(firstresult=True)
        def first_answer(self, kettle: Any, temperature: Any) -> Any: ...

        @spec
        def wrapped(self, kettle: Any, temperature: Any) -> Any: ...

    pm = pluggy.PluginManager("bench")
    pm.add_hookspecs(Specs)
    for name, funcs in functions.items():
        # pluggy calls the plugin registered last first: register in reverse to get manifold's order
        for i, function in reversed(list(enumerate(funcs))):
            wrapper = name == "wrapped" and i == 0
            marked = impl(wrapper=True)(function) if wrapper else impl(function)
            pm.register(SimpleNamespace(**{name: marked}), name=f"{name}-{i}")
    return pm


def plain_loop(funcs: tuple[Callable[..., Any], ...]) -> Callable[..., list[Any]]:
    def call(kettle: Any, temperature: Any) -> list[Any]:
        results = []
        for function in funcs:
            value = function(kettle, temperature)
            if value is not None:
                results.append(value)
        return results

    return call


def plain_first(funcs: tuple[Callable[..., Any], ...]) -> Callable[..., Any]:
    def call(kettle: Any, temperature: Any) -> Any:
        for function in funcs:
            value = function(kettle, temperature)
            if value is not None:
                return value
        return None

    return call


def measure(statements: dict[str, str], namespace: dict[str, Any], calls: int, repeat: int) -> dict[str, float]:
    """Median seconds per call of each statement, the statements interleaved in each round."""
    times: dict[str, list[float]] = {name: [] for name in statements}
    timers = {name: timeit.Timer(stmt, globals=namespace) for name, stmt in statements.items()}
    for timer in timers.values():
        timer.timeit(calls // 10)  # warm up
    for _ in range(repeat):
        for name, timer in timers.items():
            times[name].append(timer.timeit(calls) / calls)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impls", type=int, default=10, help="implementations per hook (default 10)")
    parser.add_argument("--calls", type=int, default=100_000, help="calls per measurement (default 100000)")
    parser.add_argument("--repeat", type=int, default=7, help="measurements per row; the median is shown")
    parser.add_argument("--targets", metavar="FILE", help="also write target 8a to FILE as JSON")
    args = parser.parse_args(argv)
    n = args.impls

    with tempfile.TemporaryDirectory(prefix="hook-bench-") as folder:
        write_plugins(Path(folder), n)
        with Manager([folder], environ={}, cache=False, timeout=None) as manager:
            manager.add_point(POINT, hook=True, parameters=["kettle", "temperature"])
            manager.add_point(FIRST, hook=True, parameters=["kettle", "temperature"], firstresult=True)
            manager.add_point(WRAPPED, hook=True, parameters=["kettle", "temperature"])
            hooks = {name: manager.hook(name) for name in (POINT, FIRST, WRAPPED)}
            loaded = {
                name: [h.load() for h in manager.extensions(point) if not h.wrapper]
                for name, point in (("kettle_on", POINT), ("first_answer", FIRST), ("wrapped", WRAPPED))
            }
            wrapper = next(h.load() for h in manager.extensions(WRAPPED) if h.wrapper)
            loaded["wrapped"] = [wrapper, *loaded["wrapped"]]
            pm = pluggy_manager(loaded)
            namespace = {
                "manifold_all": hooks[POINT],
                "manifold_first": hooks[FIRST],
                "manifold_wrapped": hooks[WRAPPED],
                "pluggy_all": pm.hook.kettle_on,
                "pluggy_first": pm.hook.first_answer,
                "pluggy_wrapped": pm.hook.wrapped,
                "plain_all": plain_loop(tuple(loaded["kettle_on"])),
                "plain_first": plain_first(tuple(loaded["first_answer"])),
            }
            for case in ("all", "first", "wrapped"):
                results = {
                    kind: namespace[f"{kind}_{case}"](kettle="k", temperature=90)
                    for kind in ("manifold", "pluggy", "plain")
                    if f"{kind}_{case}" in namespace
                }
                if len({repr(r) for r in results.values()}) != 1:
                    raise SystemExit(f"the results differ in case {case}: {results}")
            statements = {name: f"{name}(kettle='k', temperature=90)" for name in namespace}
            timings = measure(statements, namespace, args.calls, args.repeat)

    print(
        f"hook call with {n} implementations, 2 arguments: {args.calls} calls x {args.repeat} rounds, "
        f"median per call (Python {platform.python_version()}, pluggy {pluggy.__version__})"
    )
    cases = [
        ("all", "all results (a list)"),
        ("first", "firstresult, the last one answers"),
        ("wrapped", "all results, inside 1 wrapper"),
    ]
    for case, title in cases:
        m, p = timings[f"manifold_{case}"], timings[f"pluggy_{case}"]
        plain = timings.get(f"plain_{case}")
        print(f"  {title}")
        if plain is not None:
            print(f"    plain loop   {plain * 1e6:7.3f} us")
        for kind, value in (("manifold", m), ("pluggy", p)):
            versus = f"   {value / plain:5.2f}x plain loop" if plain is not None else ""
            print(f"    {kind:<12} {value * 1e6:7.3f} us{versus}")
        print(f"    manifold / pluggy: {m / p:.2f}")
    ratio = timings["manifold_all"] / timings["pluggy_all"]
    loop = timings["manifold_all"] / timings["plain_all"]
    print(f"manifold / pluggy, {n} implementations: {ratio:.2f} (must be <= 1.0; goal <= {GOAL:g})")
    measured = f"{ratio:.2f}x pluggy, {loop:.2f}x a plain loop"
    what = f"hook call to {n} implementations / pluggy (in-process, median of {args.repeat} x {args.calls} calls)"
    hook = Target("8a", what, f"<= {GOAL:g}x", measured, ratio <= GOAL)
    write_targets(args.targets, [hook])
    return 0 if ratio <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
