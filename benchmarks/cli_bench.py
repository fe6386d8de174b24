"""Time the start of the ``manifold`` command: process wall time for commands that need no validation.

    python benchmarks/cli_bench.py [--repeat 15]

Prints medians with min-max over fresh processes, next to ``python -c pass`` and to the goal of the
performance issue (target 8: ``manifold --help`` within 60 ms of wall time, the whole process).
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

GOAL_MS = 60.0


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
    parser.add_argument("--targets", metavar="FILE", help="also write target 8b to FILE as JSON")
    args = parser.parse_args()
    script = shutil.which("manifold", path=os.path.dirname(sys.executable)) or "manifold"
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("python -c 'import manifold'", [sys.executable, "-c", "import manifold"], None),
        ("manifold --help", [script, "--help"], GOAL_MS),
        ("manifold schema", [script, "schema"], None),
        ("manifold validate --help", [script, "validate", "--help"], None),
    ]
    medians = {}
    for label, argv, goal in rows:
        times = wall(argv, args.repeat)
        medians[label] = median = statistics.median(times)
        verdict = "" if goal is None else f"  goal {goal:.0f} ms: {'met' if median <= goal else 'NOT met'}"
        print(f"{label:30} {median:7.1f} ms  ({min(times):.1f}-{max(times):.1f}){verdict}")
    help_ms, bare = medians["manifold --help"], medians["python -c pass"]
    measured = f"{help_ms:.0f} ms (python -c pass {bare:.0f} ms)"
    what = f"manifold --help, whole process (median of {args.repeat} processes)"
    write_targets(args.targets, [Target("8b", what, f"<= {GOAL_MS:.0f} ms", measured, help_ms <= GOAL_MS)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
