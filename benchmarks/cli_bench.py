"""Time the start of the ``manifold`` command: process wall time for commands that need no validation.

    python benchmarks/cli_bench.py [--repeat 15]

Prints medians with min-max over fresh processes, next to ``python -c pass`` and to the goals
(``manifold --help`` and ``manifold schema`` within 100 ms of wall time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import Target, write_targets

GOAL_MS = 100.0


def wall(argv: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--targets", metavar="FILE", help="also write target 7 (the command half) to FILE as JSON")
    args = parser.parse_args()
    script = shutil.which("manifold", path=os.path.dirname(sys.executable)) or "manifold"
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("python -c 'import manifold'", [sys.executable, "-c", "import manifold"], None),
        ("manifold --help", [script, "--help"], GOAL_MS),
        ("manifold schema", [script, "schema"], GOAL_MS),
        ("manifold validate --help", [script, "validate", "--help"], GOAL_MS),
    ]
    medians = {}
    for label, argv, goal in rows:
        times = wall(argv, args.repeat)
        medians[label] = median = statistics.median(times)
        verdict = "" if goal is None else f"  goal {goal:.0f} ms: {'met' if median <= goal else 'NOT met'}"
        print(f"{label:30} {median:7.1f} ms  ({min(times):.1f}-{max(times):.1f}){verdict}")
    commands = ("manifold --help", "manifold schema")
    measured = ", ".join(f"{label.split()[-1]} {medians[label]:.0f} ms" for label in commands)
    met = all(medians[label] <= GOAL_MS for label in commands)
    write_targets(args.targets, [Target("7b", "manifold --help / schema, whole process", "<= 100 ms", measured, met)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
