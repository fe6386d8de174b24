"""The point of the pluggy bridge (``manifold.pluggy``), as data: known to ``validate`` without pluggy installed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from manifold.manifest.model import ExtensionPoint

__all__ = ["BRIDGE_CONFIG_SCHEMA", "BRIDGE_POINT", "BUILTIN_POINTS"]

BRIDGE_CONFIG_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "hooks": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
        },
    },
}
"""The ``config`` of a contribution to ``"pluggy"``: ``name``, the name it has in the host's pluggy
manager; ``hooks``, the hooks it implements, for lazy registration."""

BRIDGE_POINT = ExtensionPoint(
    id="pluggy",
    plugin="",
    index=0,
    description="Objects carrying pluggy hook implementations, registered into the host's pluggy manager",
    config_schema=BRIDGE_CONFIG_SCHEMA,
)

BUILTIN_POINTS: Mapping[str, ExtensionPoint] = {BRIDGE_POINT.id: BRIDGE_POINT}
"""Points every host may have, which ``validate`` knows; a manifest that declares one of these ids wins."""
