"""examples/task-hooks: pubtools-style event hooks, natively and through the pluggy bridge, as its README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "task-hooks"

OUTPUT = (
    "k1: ['kettle #1: k1', 'k1 on at 95']\n"  # the counter answers first: loaded last (last-registered-first)
    "k2: ['kettle #2: k2']\n"  # the announcer stays quiet below 90 degrees
    "corp: ('corp.crt', 'corp.key')\n"  # first answer wins: the corporate plugin, loaded after kettle.certs
    "pub: ('default.crt', 'default.key')\n"  # it returned None: the next one answers
    "task stopped: 2 kettles, failed=False\n"
    "between tasks: ['k0 on at 99']\n"  # no handler outside a task
    "k3: ['kettle #1: k3', 'k3 on at 100']\n"  # a fresh handler for the next task (on the plugin object)
    "task stopped: 1 kettles, failed=True\n"  # an exception: failed=True, and it propagated
    "task stopped: 0 kettles, failed=False\n"  # SystemExit(0)
    "task stopped: 0 kettles, failed=True\n"  # SystemExit(2)
)


def python(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANIFOLD_")}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


@pytest.mark.parametrize("mode", ["native", "pluggy"])
def test_the_same_answers_natively_and_through_the_bridge(
    mode: str, readme_output: Callable[[Path, str], list[str]]
) -> None:
    done = python(str(EXAMPLE / "host.py"), mode)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", OUTPUT)
    assert readme_output(EXAMPLE, "python examples/task-hooks/host.py native      # or: pluggy (the same output)") == (
        OUTPUT.splitlines()
    )


def test_the_host_points_in_manifold_toml_are_known_to_validate() -> None:
    done = python("-m", "manifold", "validate", "plugins", cwd=EXAMPLE)  # manifold.toml found in the folder
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "0 errors, 0 warnings; 4 valid manifests\n")


PROBE = """
import sys
from pathlib import Path
from kettle_tasks import pm
from manifold import Manager
from manifold.pluggy import register

def imported():
    return sorted(m for m in sys.modules if m.startswith("kettle_") and m != "kettle_tasks")

with Manager.from_config(Path("manifold.toml")) as manager:
    register(manager, pm)
    print("after register:", imported())
    print(pm.hook.get_cert_key_paths(server_url="https://pub.example"))
    print("after the call:", imported())
    for line in sorted(f"{pm.get_name(p)} {d.project_name} {d.version}" for p, d in pm.list_plugin_distinfo()):
        print(line)
"""


def test_the_bridge_registers_lazily_under_the_entry_point_names_with_distribution_metadata() -> None:
    done = python("-c", f"import sys; sys.path.insert(0, '.'); exec({PROBE!r})", cwd=EXAMPLE)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "after register: []\n"  # every contribution lists its hooks: nothing imported yet
        "('default.crt', 'default.key')\n"
        "after the call: ['kettle_certs', 'kettle_corp_certs']\n"  # the plugins of that hook only
        "kettle-announcer kettle.announcer 1.0.0\n"
        "kettle-certs kettle.certs 1.0.0\n"
        "kettle-certs-corp kettle.certs-corp 1.0.0\n"
        "kettle-counter-hooks kettle.counter 1.0.0\n"
    )
