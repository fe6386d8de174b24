"""examples/app-platform: pluginforge's pattern (routes on Starlette, SQLite migrations, translations), as its
README shows."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "app-platform"

pytest.importorskip("starlette", reason="the examples extra")


def test_gates_migrations_routes_messages_rescan_reload_settings_and_health(
    readme_output: Callable[[Path, str], list[str]],
) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLE / "host.py")], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "packed forge.comments 0.4.0 into comments.mfz\n"
        "forge.blog: resolved\n"
        "forge.comments: resolved\n"
        "forge.future: filtered (incompatible-app: forge.future requires forge >=4.0, not 3.1.0)\n"
        "forge.legacy: filtered (disabled: forge.legacy is in the disabled list)\n"
        "forge.wiki-sync: filtered (wrong-target: forge.wiki-sync is made for 'wiki', not for 'forge')\n"
        "migrations:\n"
        "  migrated forge.blog: 001_posts.sql\n"
        "  migrated forge.blog: 002_published.sql\n"
        "  migrated forge.comments: 001_comments.sql\n"
        "routes:\n"
        '  GET /blog/posts -> 200 {"title":"Engineering blog","greeting":"Welcome"}\n'
        '  GET /blog/comments -> 200 {"comments":[]}\n'
        "messages: Noch keine Beiträge | No comments (fallback to en)\n"
        "settings (merged: per-page keeps its value):\n"  # update_settings("forge.blog", {"title": "News"})
        "  forge.blog: title 'Engineering blog' -> 'News'\n"
        '  GET /blog/posts -> 200 {"title":"News","greeting":"Welcome"}\n'  # the route reads the live context.settings
        "copy extras/stats into plugins/, rescan:\n"
        "  RescanResult(added=('forge.stats',), removed=(), changed=())\n"
        "  migrated forge.stats: 001_views.sql\n"
        '  GET /stats -> 200 {"posts":1}\n'
        "messages: Aufrufe\n"
        "change forge.blog's code, reload it:\n"
        "  reloaded: True\n"
        '  GET /blog/posts -> 200 {"title":"News","greeting":"Welcome back"}\n'  # the update lasts: rescan, reload
        "health: forge.blog {'status': 'ok', 'per-page': 5}, forge.comments {'status': 'ok'}, "
        "forge.stats {'status': 'ok'}\n"
        "tables: applied, comments, page_views, posts\n"
    )
    assert readme_output(EXAMPLE, "python examples/app-platform/host.py") == done.stdout.splitlines()


def test_the_plugins_validate_against_the_host_points() -> None:
    done = subprocess.run(  # manifold.toml, found in the folder, declares the three points
        [sys.executable, "-m", "manifold", "validate", "plugins", "extras"],
        capture_output=True,
        text=True,
        cwd=EXAMPLE,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "0 errors, 0 warnings; 6 valid manifests\n")


def test_a_contribution_that_breaks_a_host_point_schema_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (tmp_path / "manifold.toml").write_text((EXAMPLE / "manifold.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "plugin.toml").write_text(
        '[plugin]\nid = "forge.bad"\nversion = "1.0"\n\n'
        '[[extensions]]\npoint = "db.migrations"\nconfig = { dir = "sql" }\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "manifold", "validate", "bad"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert (done.returncode, done.stdout) == (
        1,
        "bad/plugin.toml:7:1: error[config]: extensions[0].config.folder: required key is missing\n",
    )
