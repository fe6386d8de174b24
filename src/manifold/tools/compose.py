"""A plugin schema specialised for one installation: each known point's config-schema checks its contributions.

With it, an author's editor (taplo, tombi) validates the ``config`` of a contribution to a
third-party point as they type, and offers the known point ids.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from manifold.manifest.model import ExtensionPoint
from manifold.manifest.schema import load_schema
from manifold.registry import Point

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = ["composed_schema", "declared_points"]


def declared_points(manager: Manager) -> list[ExtensionPoint | Point]:
    """The points the host declares (``add_point``, its ``[[host-points]]``), then those its plugins declare,
    filtered-out plugins left aside; imports no plugin code."""
    host: list[ExtensionPoint | Point] = [point for point in manager.points().values() if point.plugin is None]
    return host + [
        point
        for info in manager.discover().plugins.values()
        if info.manifest is not None and info.state != "filtered"
        for point in info.manifest.extension_points
    ]


def composed_schema(points: Iterable[ExtensionPoint | Point]) -> dict[str, Any]:
    """The plugin schema plus, per point with a ``config-schema``, a draft-07 ``if``/``then`` on ``point``
    (the first of two points with one id is the one a host keeps)."""
    schema: dict[str, Any] = copy.deepcopy(dict(load_schema("plugin")))
    schema["$id"] = schema["$id"].replace("plugin.schema.json", "plugin.composed.schema.json")
    first: dict[str, ExtensionPoint | Point] = {}
    for point in points:
        first.setdefault(point.id, point)
    known = sorted(first.values(), key=lambda p: p.id)
    definitions = schema["definitions"]
    point_ref = definitions["pointRef"]
    point_ref["examples"] = [p.id for p in known] or point_ref.get("examples", [])
    point_ref["description"] = (
        point_ref.get("description", "")
        + "\n\nPoints known in this installation: "
        + ", ".join(f"`{p.id}`" for p in known)
    ).strip()
    rules = []
    for point in known:
        if point.config_schema is None:
            continue
        config = copy.deepcopy(dict(point.config_schema))
        config.setdefault("type", "object")
        config.setdefault("title", f"Config of a contribution to {point.id}")
        config.setdefault("description", point.description or f"Checked against the config-schema of {point.id}.")
        rules.append(
            {
                "if": {"properties": {"point": {"const": point.id}}, "required": ["point"]},
                "then": {"properties": {"config": config}},
            }
        )
    if rules:
        definitions["extension"]["allOf"] = rules
    return schema
