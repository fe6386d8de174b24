"""A new plugin folder that works as written: manifest, package, one extension and a test."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import tomli_w

from manifold._files import write_atomic
from manifold.errors import UsageError

__all__ = ["SCHEMA_URL", "scaffold"]

SCHEMA_URL = "https://manifold-plugins.dev/schemas/plugin.schema.json"
_ID = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*")


def scaffold(plugin_id: str, folder: Path, *, schema: str = SCHEMA_URL) -> list[Path]:
    """Write the plugin ``plugin_id`` into ``folder`` (which must not exist); return the files written."""
    if not _ID.fullmatch(plugin_id) or len(plugin_id) > 128:
        raise UsageError(
            f"{plugin_id!r} is not a plugin id: use lowercase dotted names such as acme.kettle "
            "(letters, digits, _ and -, each part starting with a letter)"
        )
    if folder.exists():
        raise UsageError(f"{folder} already exists; choose a new folder")
    package = re.sub(r"[^a-z0-9_]", "_", plugin_id)
    point = f"{plugin_id}.greet"
    manifest: dict[str, Any] = {
        "plugin": {
            "id": plugin_id,
            "version": "0.1.0",
            "name": plugin_id,
            "description": "Describe what the plugin does in one sentence.",
            "packages": [package],
            "class": f"{package}.plugin:Plugin",
        },
        "extension-points": [
            {
                "id": point,
                "description": "Called with a name; returns a greeting.",
                "hook": True,
                "parameters": ["name"],
            }
        ],
        "extensions": [{"point": point, "id": "hello", "ref": f"{package}.greetings:hello"}],
    }
    files = {
        "plugin.toml": f"#:schema {schema}\n\n{_toml(manifest)}",
        f"{package}/__init__.py": f'"""The {plugin_id} plugin."""\n',
        f"{package}/plugin.py": textwrap.dedent(
            f'''\
            """The plugin object: the host calls activate() and deactivate()."""


            class Plugin:
                def __init__(self, context):
                    self.context = context

                def activate(self):
                    self.context.logger.info("{plugin_id} is active")

                def deactivate(self):
                    self.context.logger.info("{plugin_id} is inactive")
            '''
        ),
        f"{package}/greetings.py": textwrap.dedent(
            '''\
            """The contribution to the greet point."""


            def hello(name):
                return f"Hello, {name}!"
            '''
        ),
        "tests/test_plugin.py": textwrap.dedent(
            f'''\
            from pathlib import Path

            from manifold import Manager, validate

            PLUGIN = Path(__file__).resolve().parent.parent


            def test_manifest_is_valid():
                assert validate([PLUGIN]).diagnostics == ()


            def test_greeting():
                with Manager([PLUGIN], environ={{}}) as manager:
                    hello = manager.extension("{point}").load()
                    assert hello(name="world") == "Hello, world!"
            '''
        ),
    }
    written = []
    for relative, text in files.items():
        path = folder / relative
        write_atomic(path, text, parents=True)
        written.append(path)
    return written


def _toml(manifest: dict[str, Any]) -> str:
    """The manifest with its tables first and arrays of tables as ``[[...]]`` blocks, as people write it."""
    tables = {k: v for k, v in manifest.items() if not isinstance(v, list)}
    parts = [tomli_w.dumps(tables)]
    for key, items in manifest.items():
        if isinstance(items, list):
            parts += [f"[[{key}]]\n{tomli_w.dumps(item)}" for item in items]
    return "\n".join(parts)
