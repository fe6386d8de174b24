"""An application platform (pluginforge's pattern): gates, settings, health, rescan and reload while running;
routes, migrations and translations are ordinary extension points.

Run: python examples/app-platform/host.py   (needs the example extra: pip install 'manifold-plugins[examples]')
"""

import json
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from manifold import Manager, pack

HERE = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


def files(manager, handle, suffix):
    """The files of the folder a contribution names, read inside its plugin (a folder or an archive)."""
    folder = manager.inspect(handle.plugin).manifest.root.joinpath(handle.config["folder"])
    return sorted((f for f in folder.iterdir() if f.name.endswith(suffix)), key=lambda f: f.name)


def migrate(db, manager):
    """Every plugin's migrations, in load order (dependencies first), each applied once."""
    db.execute("CREATE TABLE IF NOT EXISTS applied (plugin TEXT, name TEXT, PRIMARY KEY (plugin, name))")
    order = {pid: i for i, pid in enumerate(manager.load_order)}
    for handle in sorted(manager.extensions("db.migrations"), key=lambda h: order[h.plugin]):
        for script in files(manager, handle, ".sql"):
            if db.execute("SELECT 1 FROM applied WHERE plugin = ? AND name = ?", (handle.plugin, script.name)).fetchone():
                continue
            with db:
                db.executescript(script.read_text(encoding="utf-8"))
                db.execute("INSERT INTO applied VALUES (?, ?)", (handle.plugin, script.name))
            print(f"  migrated {handle.plugin}: {script.name}")


def messages(manager):
    catalog = {}
    for handle in manager.extensions("i18n.messages"):
        for file in files(manager, handle, ".json"):
            catalog.setdefault(file.name.removesuffix(".json"), {}).update(json.loads(file.read_text(encoding="utf-8")))
    return lambda key, language: catalog.get(language, {}).get(key) or catalog[DEFAULT_LANGUAGE].get(key, key)


def mount(app, manager):
    """The app's routes are exactly the current contributions (mounting again replaces them)."""
    app.router.routes = [Route(h.config["path"], h.load()) for h in manager.extensions("web.routes")]


def get(client, path):
    response = client.get(path)
    print(f"  GET {path} -> {response.status_code} {response.text}")


def main():
    work = Path(tempfile.mkdtemp(prefix="forge-"))
    try:
        shutil.copytree(HERE / "plugins", work / "plugins")
        shutil.copy(HERE / "manifold.toml", work)
        packed = pack(work / "plugins" / "comments", work / "plugins" / "comments.mfz")  # shipped as an archive
        shutil.rmtree(work / "plugins" / "comments")
        print(f"packed {packed.id} {packed.version} into {packed.archive.name}")
        run(work)
    finally:
        shutil.rmtree(work)
    return 0


def run(work):
    manager = Manager.from_config(work / "manifold.toml", cache=False)  # its [[host-points]] declared
    with manager, sqlite3.connect(":memory:") as db:
        report = manager.start()
        for info in report.plugins.values():
            print(f"{info.id}: {info.state}" + (f" ({info.reason.code}: {info.reason.message})" if info.reason else ""))
        print("migrations:")
        migrate(db, manager)
        app = Starlette()
        mount(app, manager)
        client = TestClient(app)
        print("routes:")
        get(client, "/blog/posts")
        get(client, "/blog/comments")
        t = messages(manager)
        print("messages:", t("blog.empty", "de"), "|", t("comments.none", "de"), "(fallback to en)")
        print("settings (merged: per-page keeps its value):")
        manager.update_settings("forge.blog", {"title": "News"})
        get(client, "/blog/posts")

        print("copy extras/stats into plugins/, rescan:")
        shutil.copytree(HERE / "extras" / "stats", work / "plugins" / "stats")
        print(" ", manager.rescan())
        migrate(db, manager)
        mount(app, manager)
        get(client, "/stats")
        print("messages:", messages(manager)("stats.views", "de"))

        print("change forge.blog's code, reload it:")
        code = work / "plugins" / "blog" / "forge_blog" / "__init__.py"
        code.write_text(code.read_text(encoding="utf-8").replace('"Welcome"', '"Welcome back"'), encoding="utf-8")
        print("  reloaded:", manager.reload("forge.blog"))
        mount(app, manager)
        get(client, "/blog/posts")  # the updated settings last across rescan and reload
        print("health:", ", ".join(f"{pid} {result}" for pid, result in manager.health().items()))
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        print("tables:", ", ".join(tables))


if __name__ == "__main__":
    sys.exit(main())
