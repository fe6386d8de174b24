"""Run every benchmark and print every target of the performance issue with its measured ratio.

    python benchmarks/targets.py [--repeat 7] [--sizes 1000 10000]

Runs, one after the other and each in its own processes, ``peer_bench.py`` (targets 1 to 4 and 6:
manifold against stevedore and entry points + pluggy, installed from PyPI in the benchmark's own
environment), ``validate_bench.py`` (5), ``runtime_bench.py`` at two sizes (7), ``hook_bench.py``
(8a) and ``cli_bench.py`` (8b). Their own output is shown as it comes; each also writes its targets
to a file (``--targets FILE``, the same option in every script), and the last table here gathers
them: each line says what its figure includes (whole process or in-process, discovery, imports)
and how many runs it is the median of. About 10 minutes on a 2-core machine with the default sizes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent


class Target(NamedTuple):
    number: str
    target: str
    goal: str
    measured: str
    met: bool


def write_targets(path: str | None, targets: Sequence[Target]) -> None:
    """Write ``targets`` to ``path`` as JSON (nothing when ``path`` is None): the ``--targets`` option."""
    if path is not None:
        Path(path).write_text(json.dumps([t._asdict() for t in targets], indent=1), encoding="utf-8")


def read_targets(path: Path) -> list[Target]:
    return [Target(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def print_targets(targets: Sequence[Target]) -> None:
    """Each target on two lines: its number and what is measured; then the goal, the figure and the verdict."""
    print("\ntargets")
    width = max(len(t.number) for t in targets) if targets else 0
    for row in targets:
        print(f"  {row.number:<{width}}  {row.target}")
        print(f"  {'':<{width}}    goal {row.goal}; measured {row.measured}: {'met' if row.met else 'NOT met'}")


def _order(target: Target) -> tuple[int, str]:
    digits = "".join(c for c in target.number if c.isdigit())
    return int(digits or 0), target.number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds of the peer and validate benchmarks (default 7)")
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=[1000, 10000], metavar=("SMALL", "LARGE"), help="for scaling (7)"
    )
    args = parser.parse_args(argv)
    small, large = args.sizes
    runs = [
        ["peer_bench.py", "--n", str(small), "--repeat", str(args.repeat)],
        ["validate_bench.py", "--n", str(small), "--repeat", str(args.repeat)],
        ["runtime_bench.py", "--n", str(small), str(large), "--repeat", "5"],
        ["hook_bench.py"],
        ["cli_bench.py", "--repeat", "11"],
    ]
    targets: list[Target] = []
    python = sys.executable  # peer_bench.py creates the benchmark's environment; the others run in it
    with tempfile.TemporaryDirectory(prefix="manifold-targets-") as tmp:
        for number, (script, *options) in enumerate(runs):
            print(f"\n===== {script} {' '.join(options)}", flush=True)
            out = Path(tmp) / f"{number}.json"
            subprocess.run([python, str(HERE / script), *options, "--targets", str(out)], check=True)
            targets += read_targets(out)
            if script == "peer_bench.py":
                from peer_bench import default_venv, venv_python

                python = str(venv_python(default_venv()))
    print_targets(sorted(targets, key=_order))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
