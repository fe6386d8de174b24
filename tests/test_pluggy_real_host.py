"""The proof: sqlite-utils (a real pluggy host) with real plugins from PyPI, loaded through its entry points
and through the bridge from manifests written by ``manifold migrate``, gives the same hook effects, plugin
list and metadata. sqlite-utils and its plugins are in the ``test`` extra; nothing touches the network."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from manifold import validate
from manifold.cli import main

pytest.importorskip("sqlite_utils")
pytest.importorskip("sqlite_utils_dateutil")

GROUP = "sqlite_utils"
PLUGINS = {  # distribution -> (entry point name, version)
    "sqlite-utils-dateutil": ("dateutil", "0.1"),
    "sqlite-utils-fast-fks": ("fast_fks", "0.1"),
    "sqlite-utils-move-tables": ("move_tables", "0.1"),
    "sqlite-utils-shell": ("shell", "0.3"),
}

HOST = textwrap.dedent(
    """
    import json, sys
    import sqlite_utils.plugins as plugins

    if sys.argv[1] == "bridge":
        from manifold import Manager
        from manifold.pluggy import register

        manager = Manager([sys.argv[2]], cache=False)
        plugins._plugins_loaded = True  # the host's pm.load_setuptools_entrypoints("sqlite_utils") becomes:
        register(manager, plugins.pm)

    import sqlite_utils
    from sqlite_utils.cli import cli  # runs the register_commands hook

    db = sqlite_utils.Database(memory=True)  # runs the prepare_connection hook
    sql = "select dateutil_parse('3rd october 2023'), dateutil_easter(2024), dateutil_parse_dayfirst('1/2/2023')"
    print(json.dumps({
        "plugins": sorted(plugins.get_plugins(), key=lambda p: p["name"]),
        "names": sorted(name for name, _ in plugins.pm.list_name_plugin()),
        "distinfo": sorted(
            [plugins.pm.get_name(p), d.project_name, d.version, d.metadata["Summary"]]
            for p, d in plugins.pm.list_plugin_distinfo()
        ),
        "commands": {name: command.help for name, command in sorted(cli.commands.items())},
        "sql": db.execute(sql).fetchall(),
    }))
    """
)


def run_host(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", HOST, *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_real_pluggy_host_loads_the_same_through_the_bridge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plugins"
    assert main(["migrate", "--group", GROUP, "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{out / dist / 'plugin.toml'}  ({dist} {version})" for dist, (_, version) in PLUGINS.items()]
    assert validate([out]).diagnostics == ()  # no shadowing, no unknown point: the bridge's point is known

    entry_points = run_host("entry-points")
    bridged = run_host("bridge", str(out))
    assert bridged == entry_points
    assert entry_points["names"] == sorted(name for name, _ in PLUGINS.values())
    assert [(p["name"], p["version"]) for p in entry_points["plugins"]] == [
        (dist, version) for dist, (_, version) in PLUGINS.items()
    ]
    assert {"fast-fks", "move-tables", "shell"} <= set(entry_points["commands"])
    assert entry_points["sql"] == [["2023-10-03T00:00:00", "2024-03-31", "2023-02-01T00:00:00"]]


def test_migrate_writes_what_the_metadata_says(tmp_path: Path) -> None:
    from manifold.tools.migrate import manifests_for_group

    dateutil = next(m for m in manifests_for_group(GROUP) if m.id == "sqlite-utils-dateutil")
    assert dateutil.manifest == {
        "manifest-version": 1,
        "plugin": {
            "id": "sqlite-utils-dateutil",
            "version": "0.1",
            "description": "Date utility functions for sqlite-utils",
            "homepage": "https://github.com/simonw/sqlite-utils-dateutil",
            "distribution": "sqlite-utils-dateutil",
            "packages": ["sqlite_utils_dateutil"],
        },
        "extensions": [{"point": "pluggy", "ref": "sqlite_utils_dateutil", "config": {"name": "dateutil"}}],
    }
    (tmp_path / "sqlite-utils-shell").mkdir()
    (tmp_path / "sqlite-utils-shell" / "plugin.toml").write_text("kept")
    assert main(["migrate", "--group", GROUP, "-o", str(tmp_path)]) == 2
    assert (tmp_path / "sqlite-utils-shell" / "plugin.toml").read_text() == "kept"
    assert not (tmp_path / "sqlite-utils-dateutil").exists()
