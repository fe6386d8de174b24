"""Copy into bundle.schema.json what it shares with plugin.schema.json, so the two formats cannot drift.

A member of ``[[plugins]]`` in a bundle.toml holds the keys of plugin.toml's ``[plugin]`` table and
its other tables (``dependencies``, ``extensions``, ...) side by side, plus ``path``. This script
rewrites the parts of bundle.schema.json that come from plugin.schema.json: the member's
properties other than ``path``, every definition they use (copied verbatim, same names), and the
version pattern of ``[bundle]``. The bundle's own definitions (``bundle``, ``member``, ...) are
edited in bundle.schema.json itself and kept. ``tests/test_bundles.py`` checks that running this
script would change nothing.

The host configuration's ``[[host-points]]`` take the keys of plugin.toml's ``[[extension-points]]``
but ``interface`` (the host declares a typed point in code): config.schema.json's ``hostPoint``
definition is ``extensionPoint`` without it, with its own title and description, and the definitions
it uses are copied too (``tests/graph/test_host_points.py`` checks that nothing is left to copy).

Run from the repository root after editing any of the three schemas: ``python schemas/sync_bundle_schema.py``.
It writes schemas/bundle.schema.json, schemas/config.schema.json and their packaged copies in
src/manifold/schemas/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "schemas" / "plugin.schema.json"
TARGETS = (ROOT / "schemas" / "bundle.schema.json", ROOT / "src" / "manifold" / "schemas" / "bundle.schema.json")
CONFIG_TARGETS = (ROOT / "schemas" / "config.schema.json", ROOT / "src" / "manifold" / "schemas" / "config.schema.json")
_BUNDLE_ONLY_MEMBER_KEYS = ("path",)
_NOT_IN_A_MEMBER = ("plugin", "manifest-version")  # [plugin] is flattened into the member; the version is the file's
_NOT_IN_A_HOST_POINT = ("interface",)
_HOST_POINT_WORDS = {
    "title": "Host point",
    "description": (
        "An extension point the host declares in its code, listed here with the keys of a plugin's "
        "`[[extension-points]]` (but `interface`) so that `manifold validate`, `manifold schema --composed` and "
        "`Manager.from_config` know it: contributions to it are checked against its `config-schema`, "
        "`cardinality` and hook `parameters`."
    ),
}


def member_properties(plugin: dict[str, Any]) -> dict[str, Any]:
    """The keys a member table takes from plugin.toml: [plugin]'s keys, then the other top-level tables."""
    properties = dict(plugin["definitions"]["plugin"]["properties"])
    for key, value in plugin["properties"].items():
        if key not in _NOT_IN_A_MEMBER:
            properties[key] = value
    return properties


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"].removeprefix("#/definitions/")} if isinstance(value.get("$ref"), str) else set()
        for item in value.values():
            found |= _refs(item)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    return set()


def sync(bundle: dict[str, Any], plugin: dict[str, Any]) -> dict[str, Any]:
    """``bundle`` with the parts it shares with ``plugin`` copied from ``plugin``."""
    shared = plugin["definitions"]
    own = {name: value for name, value in bundle["definitions"].items() if name not in shared}
    member = own["member"]
    member["properties"] = {
        **{key: member["properties"][key] for key in _BUNDLE_ONLY_MEMBER_KEYS},
        **member_properties(plugin),
    }
    own["bundleVersion"]["pattern"] = shared["plugin"]["properties"]["version"]["pattern"]
    needed: set[str] = set()
    todo = _refs(own) - set(own)
    while todo:
        name = todo.pop()
        needed.add(name)
        todo |= _refs(shared[name]) - needed - set(own)
    synced = dict(bundle)
    synced["definitions"] = {**own, **{name: value for name, value in shared.items() if name in needed}}
    return synced


def sync_config(config: dict[str, Any], plugin: dict[str, Any]) -> dict[str, Any]:
    """``config`` with ``hostPoint`` (plugin.toml's ``extensionPoint`` without ``interface``) and the
    definitions it uses copied from ``plugin``."""
    shared = plugin["definitions"]
    point = json.loads(json.dumps(shared["extensionPoint"]))
    point.update(_HOST_POINT_WORDS)
    for key in _NOT_IN_A_HOST_POINT:
        del point["properties"][key]
        for example in point.get("examples", []):
            example.pop(key, None)
    needed: set[str] = set()
    todo = _refs(point)
    while todo:
        name = todo.pop()
        needed.add(name)
        todo |= _refs(shared[name]) - needed
    own = {name: value for name, value in config["definitions"].items() if name not in needed | {"hostPoint"}}
    synced = dict(config)
    synced["definitions"] = {
        **own,
        "hostPoint": point,
        **{name: value for name, value in shared.items() if name in needed},
    }
    return synced


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    plugin = json.loads(PLUGIN.read_text(encoding="utf-8"))
    bundle = json.loads(TARGETS[0].read_text(encoding="utf-8"))
    text = render(sync(bundle, plugin))
    for target in TARGETS:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)
    config = json.loads(CONFIG_TARGETS[0].read_text(encoding="utf-8"))
    text = render(sync_config(config, plugin))
    for target in CONFIG_TARGETS:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
