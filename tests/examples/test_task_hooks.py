"""examples/task-hooks: pubtools-style event hooks, natively and through the pluggy bridge, as its README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "task-hooks"

OUTPUT = (
    "k1: ['kettle #1: k1', 'k1 on at 95']\n"  # the counter's handler answers first (priority 10 / registered last)
    "k2: ['kettle #2: k2']\n"  # the announcer stays quiet below 90 degrees
    "corp: ('corp.crt', 'corp.key')\n"  # first answer wins: the corporate plugin answers first
    "pub: ('default.crt', 'default.key')\n"  # it returned None: the next one answers
    "task stopped: 2 kettles, failed=False\n"
    "between tasks: ['k0 on at 99']\n"  # no handler outside a task
    "k3: ['kettle #1: k3', 'k3 on at 100']\n"  # a fresh handler for the next task
    "task stopped: 1 kettles, failed=True\n"  # an exception: failed=True, and it propagated
    "task stopped: 0 kettles, failed=False\n"  # SystemExit(0)
    "task stopped: 0 kettles, failed=True\n"  # SystemExit(2)
)


@pytest.mark.parametrize("mode", ["native", "pluggy"])
def test_the_same_answers_natively_and_through_the_bridge(mode: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "host.py"), mode], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stderr, done.stdout) == (0, "", OUTPUT)


def test_the_plugins_validate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "manifold", "validate", "-q", str(EXAMPLE / "plugins")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "")
