"""A new plugin folder that works as written: manifest, package, one extension and a test."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import tomli_w

from manifold._files import write_atomic
from manifold.errors import UsageError

__all__ = ["LOCAL_SCHEMA", "scaffold"]

LOCAL_SCHEMA = ".plugin.schema.json"
"""The plugin schema, written beside a new manifest so that its ``#:schema`` line resolves offline (a
hidden file: ``manifold pack`` leaves it out)."""
_ID = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*")


def scaffold(plugin_id: str, folder: Path, *, schema: str | None = None) -> list[Path]:
    """Write the plugin ``plugin_id`` into ``folder`` (which must not exist); return the files written.

    ``schema`` is the ``#:schema`` location; by default the shipped plugin schema is written beside the
    manifest and named there, so editors check the manifest offline.
    """
    if not _ID.fullmatch(plugin_id) or len(plugin_id) > 128:
        raise UsageError(
            f"{plugin_id!r} is not a plugin id: use lowercase dotted names such as acme.kettle "
            "(letters, digits, _ and -, each part starting with a letter)"
        )
    if folder.exists():
        raise UsageError(f"{folder} already exists; choose a new folder")
    package = re.sub(r"[^a-z0-9_]", "_", plugin_id)
    taken = _taken(package)
    if taken is not None:
        raise UsageError(
            f"{plugin_id!r} would name its package {package}, which would shadow {taken}; "
            "choose an id that starts with your organisation's name, such as acme.kettle"
        )
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
        "plugin.toml": f"#:schema {schema or LOCAL_SCHEMA}\n{_HEADER}\n{_toml(manifest)}",
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
            """The plugin as a host loads it (the manifold_plugins fixture comes with manifold)."""

            from pathlib import Path

            from manifold import validate

            PLUGIN = Path(__file__).resolve().parent.parent


            def test_manifest_is_valid():
                assert validate([PLUGIN]).diagnostics == ()


            def test_greeting(manifold_plugins):
                manager = manifold_plugins.manager(PLUGIN)  # the fixture's folder, then this plugin
                hello = manager.extension("{point}").load()
                assert hello(name="world") == "Hello, world!"
            '''
        ),
    }
    if schema is None:
        from manifold.manifest.shipped import schema_text

        files[LOCAL_SCHEMA] = schema_text("plugin")
    written = []
    for relative, text in files.items():
        path = folder / relative
        write_atomic(path, text, parents=True)
        written.append(path)
    return written


_HEADER = """\
# The manifest of a manifold plugin: who it is, what it needs, what it declares and contributes.
# The line above lets editors (taplo, tombi, VS Code with Even Better TOML) check it as you type.
# [plugin]: its id, version and the packages it ships; class: the object the host activates.
# [[extension-points]]: points this plugin declares; [[extensions]]: what it contributes to points.
# Check it with `manifold validate .`; the schema above describes every key (manifold's guide: docs/authors.md).
"""


def _taken(package: str) -> str | None:
    """What ``package`` would shadow: a standard-library module or one importable from ``sys.path``."""
    import sys
    from importlib.machinery import PathFinder

    if package in sys.stdlib_module_names or package in sys.builtin_module_names:
        return f"the standard-library module {package}"
    spec = PathFinder.find_spec(package)
    return None if spec is None else f"the installed module {package} ({spec.origin or 'a namespace package'})"


def _toml(manifest: dict[str, Any]) -> str:
    """The manifest with its tables first and arrays of tables as ``[[...]]`` blocks, as people write it."""
    tables = {k: v for k, v in manifest.items() if not isinstance(v, list)}
    parts = [tomli_w.dumps(tables)]
    for key, items in manifest.items():
        if isinstance(items, list):
            parts += [f"[[{key}]]\n{tomli_w.dumps(item)}" for item in items]
    return "\n".join(parts)
