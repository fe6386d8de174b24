"""Time the start of the ``manifold`` command: process wall time for commands that need no validation.

    python benchmarks/cli_bench.py [--repeat 15]

Prints medians with min-max over fresh processes, next to ``python -c pass`` and to the goal of the
performance issue (target 8: ``manifold --help`` within 60 ms of wall time, the whole process). The
processes cache bytecode in a temporary folder (``PYTHONPYCACHEPREFIX``; also when
``PYTHONDONTWRITEBYTECODE`` is set), filled by one run of each row that is not counted: the start is
timed as an installed command's would be, not compiling manifold's sources each time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import Target, write_targets

GOAL_MS = 60.0


def wall(argv: list[str], repeat: int, env: dict[str, str]) -> list[float]:
    subprocess.run(argv, capture_output=True, check=True, env=env)  # warm-up: fills the bytecode cache
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, env=env)
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
    with tempfile.TemporaryDirectory(prefix="manifold-cli-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = tmp
        times_by_label = {label: wall(argv, args.repeat, env) for label, argv, _ in rows}
    for label, _, goal in rows:
        times = times_by_label[label]
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
