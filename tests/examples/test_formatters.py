"""examples/formatters: typed extension points (pyfly's pattern), run as its README shows."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "formatters"

WRONG_TYPE = (
    "fmt_broken:NotAFormatter of fmt.broken is a fmt_broken.NotAFormatter, "
    "not a fmt_core.api.Formatter as point fmt.formatters requires"
)
FAILED = "fmt.xml failed in activate: RuntimeError: no XML library installed"


def test_plugins_start_and_stop_one_at_a_time_with_their_states_after_each_step(
    readme_output: Callable[[Path, str], list[str]],
) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE / "host.py")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == f"{FAILED}\n{WRONG_TYPE}\n"  # the manager's log records
    assert done.stdout == (
        "discovered: broken=resolved, core=resolved, csv=resolved, json=resolved, table=resolved, xml=resolved\n"
        "start fmt.table (its dependencies first):\n"
        "  start fmt.core\n"
        "  start fmt.json\n"
        "  start fmt.table\n"
        "after start: broken=resolved, core=active, csv=resolved, json=active, table=active, xml=resolved\n"
        "stop fmt.json (its dependents first):\n"
        "  stop  fmt.table\n"
        "  stop  fmt.json\n"
        "after stop: broken=resolved, core=active, csv=resolved, json=inactive, table=inactive, xml=resolved\n"
        # held out: loading its extension does not start it again
        "  load its formatter: extension of fmt.json to fmt.formatters is unavailable: "
        "fmt.json was deactivated by the host (activate it to use it again)\n"
        "start all (in load order; the active ones stay):\n"
        "  start fmt.broken\n"
        "  start fmt.csv\n"
        "  start fmt.json\n"
        "  start fmt.table\n"
        "after start all: broken=active, core=active, csv=active, json=active, table=active, xml=failed\n"
        f"  fmt.xml: {FAILED}\n"
        "formats:\n"
        '  json (priority 10): {"id": 7, "name": "kettle"}\n'
        "  csv (priority 5): id,name; 7,kettle\n"
        f"  rejected: extension of fmt.xml to fmt.formatters is unavailable: failed: {FAILED}\n"
        '  table (priority 1): | {"id": 7, "name": "kettle"} |\n'
        f"  rejected: {WRONG_TYPE}\n"
        "remove fmt.csv (stopped, then unloaded; its extensions go, the others stay):\n"
        "  stop  fmt.csv\n"
        "  unload fmt.csv\n"  # teardown() after deactivate()
        "  formatters: fmt.json, fmt.xml, fmt.table\n"
        "stop all (the last started first, dependents before their dependencies):\n"
        "  stop  fmt.table\n"  # reverse activation order: table, json, broken were started last
        "  stop  fmt.json\n"
        "  stop  fmt.broken\n"
        "  stop  fmt.core\n"
        "after stop all: broken=inactive, core=inactive, csv=filtered, json=inactive, table=inactive, xml=failed\n"
        "close (every plugin object unloaded):\n"
        "  unload fmt.table\n"
        "  unload fmt.json\n"
        "  unload fmt.broken\n"
        "  unload fmt.core\n"
    )
    assert readme_output(EXAMPLE, "python examples/formatters/host.py") == (done.stdout + done.stderr).splitlines()


def test_the_plugins_validate() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "manifold", "validate", str(EXAMPLE / "plugins")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "0 errors, 0 warnings; 6 valid manifests\n")
