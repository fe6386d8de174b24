"""Points a host declares in code: checked with every problem reported at once, then built as registry points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from manifold.errors import SettingsError
from manifold.registry import Point

if TYPE_CHECKING:
    from manifold.manifest.model import Cardinality, Order

__all__ = ["PointOptions", "host_point"]


class PointOptions(TypedDict, total=False):
    """The options of a point declared in code: those of ``[[extension-points]]`` (see docs/hooks.md)."""

    description: str
    interface: type | None
    config_schema: Mapping[str, Any] | None
    cardinality: Cardinality
    hook: bool
    parameters: Sequence[str]
    firstresult: bool
    order: Order
    timeout: float | None


def host_point(point_id: str, **options: Unpack[PointOptions]) -> Point:
    """The point the host declares, as ``[[extension-points]]`` would; raises SettingsError listing every problem."""
    cardinality = options.get("cardinality", "many")
    order = options.get("order", "priority")
    timeout = options.get("timeout")
    config_schema = options.get("config_schema")
    problems = [f"unknown option {name!r}" for name in sorted(set(options) - PointOptions.__optional_keys__)]
    if cardinality not in ("many", "one"):
        problems.append(f'cardinality must be "many" or "one", not {cardinality!r}')
    if order not in ("priority", "last-registered-first"):
        problems.append(f'order must be "priority" or "last-registered-first", not {order!r}')
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0):
        problems.append(f"timeout must be a number of seconds above 0, or None; not {timeout!r}")
    if config_schema is not None:
        from manifold.manifest.embedded import check_schema

        problems += [p.message for p in check_schema(dict(config_schema), ("config_schema",))]
    if problems:
        raise SettingsError(f"point {point_id}", problems)
    return Point(
        point_id,
        None,
        options.get("description", ""),
        options.get("interface"),
        cardinality,
        config_schema,
        options.get("hook", False),
        tuple(options.get("parameters", ())),
        options.get("firstresult", False),
        order,
        timeout,
    )
