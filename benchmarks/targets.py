"""Run every benchmark and print every target of the performance issue with its measured ratio.

    python benchmarks/targets.py [--repeat 7] [--sizes 1000 10000]

Runs, one after the other and each in its own processes, ``peer_bench.py`` (targets 1, 2, 3, 5 and
the import half of 7), ``validate_bench.py`` (4), ``hook_bench.py`` (6), ``cli_bench.py`` (the
command half of 7) and ``runtime_bench.py`` at two sizes (8). Their own output is shown as it comes;
each also writes its targets to a file (``--targets FILE``, the same option in every script), and
the last table here gathers them. About 8 minutes on a 2-core machine with the default sizes.
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
    print("\ntargets")
    header = Target("#", "target", "goal", "measured", True)
    widths = [max(len(row[i]) for row in [header, *targets]) for i in range(4)]
    for row in targets:
        cells = "  ".join(f"{c:<{w}}" for c, w in zip(row[:4], widths, strict=True))
        print(f"  {cells}  {'met' if row.met else 'NOT met'}")


def _order(target: Target) -> tuple[int, str]:
    digits = "".join(c for c in target.number if c.isdigit())
    return int(digits or 0), target.number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds of the peer and validate benchmarks (default 7)")
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=[1000, 10000], metavar=("SMALL", "LARGE"), help="for scaling (8)"
    )
    args = parser.parse_args(argv)
    small, large = args.sizes
    runs = [
        ["peer_bench.py", "--n", str(small), "--repeat", str(args.repeat)],
        ["validate_bench.py", "--n", str(small), "--repeat", str(args.repeat)],
        ["hook_bench.py"],
        ["cli_bench.py", "--repeat", "11"],
        ["runtime_bench.py", "--n", str(small), str(large), "--repeat", "3"],
    ]
    targets: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="manifold-targets-") as tmp:
        for number, (script, *options) in enumerate(runs):
            print(f"\n===== {script} {' '.join(options)}", flush=True)
            out = Path(tmp) / f"{number}.json"
            subprocess.run([sys.executable, str(HERE / script), *options, "--targets", str(out)], check=True)
            targets += read_targets(out)
    print_targets(sorted(targets, key=_order))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
