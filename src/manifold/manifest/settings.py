"""Plugin settings and extension configs: checked against the schema a manifest declares, defaults filled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from manifold.codes import DiagnosticCode

if TYPE_CHECKING:
    from manifold.manifest.diagnostics import Problem
    from manifold.manifest.locate import KeyPath

__all__ = ["apply_defaults", "check_values"]


def apply_defaults(schema: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` with every ``default`` of the schema's ``properties`` filled in, recursively."""
    import copy  # not on a host's import: ``copy`` is only the first start's

    result = copy.deepcopy(dict(values))
    if not schema:
        return result
    for key, sub in schema.get("properties", {}).items():
        if not isinstance(sub, Mapping):
            continue
        if key not in result and "default" in sub:
            result[key] = copy.deepcopy(sub["default"])
        if isinstance(result.get(key), Mapping) and sub.get("type", "object") == "object" and "properties" in sub:
            result[key] = apply_defaults(sub, result[key])
    return result


def check_values(
    schema: Mapping[str, Any] | None, values: Mapping[str, Any], where: KeyPath, code: DiagnosticCode
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate ``values`` against ``schema`` (``type = "object"`` implied), then fill defaults."""
    if not schema:
        return dict(values), []
    from manifold.manifest.embedded import instance_problems

    full = dict(schema)
    full.setdefault("type", "object")
    problems = instance_problems(full, dict(values), where, code)
    return apply_defaults(full, values), problems
