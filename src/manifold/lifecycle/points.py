"""Points a host declares in code: checked with every problem reported at once, then built as registry points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from manifold.errors import SettingsError
from manifold.registry import Point

if TYPE_CHECKING:
    from manifold.manifest.model import Cardinality, Order

__all__ = ["host_point"]


def host_point(
    point_id: str,
    *,
    description: str = "",
    interface: type | None = None,
    config_schema: Mapping[str, Any] | None = None,
    cardinality: Cardinality = "many",
    hook: bool = False,
    parameters: Sequence[str] = (),
    firstresult: bool = False,
    order: Order = "priority",
    timeout: float | None = None,
) -> Point:
    """The point the host declares, as ``[[extension-points]]`` would; raises SettingsError listing every problem."""
    problems = []
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
        description,
        interface,
        cardinality,
        config_schema,
        hook,
        tuple(parameters),
        firstresult,
        order,
        timeout,
    )
