"""The values a snapshot keeps, as the plain data ``marshal`` writes, and back: reasons, essentials, points and
extension handles (``manifold.lifecycle.snapshot`` keeps them). Reading checks the shape of what it builds from:
a payload this code did not write raises ``ValueError`` (or ``TypeError``), never builds a wrong value."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from manifold.manifest.model import EMPTY, Essentials, Reference
from manifold.registry import ExtensionHandle, Point
from manifold.states import Reason

__all__ = [
    "Unsnapshotable",
    "essentials_data",
    "essentials_from",
    "handle_data",
    "handle_from",
    "point_data",
    "point_from",
    "reason_data",
    "reason_from",
    "thawed",
]


class Unsnapshotable(ValueError):
    """The state holds something a snapshot cannot keep (a callback's exception, a value marshal cannot write)."""


def reason_data(reason: Reason | None) -> tuple[Any, ...] | None:
    if reason is None:
        return None
    if reason.error is not None or reason.traceback:
        raise Unsnapshotable(f"a reason with an exception: {reason.code}")
    return reason.code, reason.message, reason.chain, reason.phase, reason_data(reason.cause)


def reason_from(data: Any) -> Reason | None:
    if data is None:
        return None
    code, message, chain, phase, cause = data
    if type(message) is not str or type(chain) is not tuple:
        raise ValueError("a malformed reason")
    return Reason(code, message, chain, phase, cause=reason_from(cause))


def essentials_data(essentials: Essentials) -> tuple[Any, ...]:
    """What the snapshot keeps of ``essentials`` besides the id, file and folder (the record's ``where``);
    the code's folder only when it is not the plugin's."""
    ref = essentials.plugin_class
    code_root = None if essentials.code_root == essentials.root else os.fspath(essentials.code_root)  # type: ignore[call-overload]
    return (
        essentials.version,
        essentials.packages,
        None if ref is None else (ref.module, ref.qualname),
        essentials.activation,
        tuple(sorted(essentials.requires)),
        code_root,
        essentials.installed,
    )


def essentials_from(data: Any, plugin_id: str, where: tuple[str, str]) -> Essentials:
    """The essentials ``essentials_data`` wrote for ``plugin_id``, whose manifest file and folder are ``where``;
    ValueError when ``data`` is not theirs."""
    version, packages, ref, activation, requires, code_root, installed = data
    if not (
        type(version) is str
        and type(packages) is tuple
        and all(type(name) is str for name in packages)
        and (ref is None or (type(ref) is tuple and len(ref) == 2 and type(ref[0]) is type(ref[1]) is str))
        and activation in ("eager", "lazy")
        and type(requires) is tuple
        and all(type(pid) is str for pid in requires)
        and (code_root is None or type(code_root) is str)
        and type(installed) is bool
    ):
        raise ValueError("not a plugin's essentials")
    file, folder = where
    root = Path(folder)
    return Essentials(
        id=plugin_id,
        version=version,
        file=file,
        root=root,
        code_root=root if code_root is None else Path(code_root),
        packages=packages,
        plugin_class=None if ref is None else Reference(*ref),
        activation=activation,
        requires=frozenset(requires),
        installed=installed,
    )


def handle_data(handle: ExtensionHandle) -> tuple[Any, ...]:
    ref = handle.ref
    return (
        handle.plugin,
        handle.point,
        handle.index,
        None if ref is None else (ref.module, ref.qualname),
        handle.id,
        handle.priority,
        thawed(handle.config),
        handle.order,
        handle.wrapper,
    )


def handle_from(fields: Any, loader: Callable[[ExtensionHandle], Any]) -> ExtensionHandle:
    plugin, point, index, ref, ext_id, priority, config, order, wrapper = fields
    return ExtensionHandle(
        plugin=plugin,
        point=point,
        index=index,
        ref=None if ref is None else Reference(*ref),
        id=ext_id,
        priority=priority,
        config=MappingProxyType(config) if config else EMPTY,  # a fresh table: no copy needed
        order=order,
        loader=loader,
        wrapper=wrapper,
    )


def point_data(point: Point) -> tuple[Any, ...]:
    interface = point.interface
    if interface is not None and not isinstance(interface, Reference):
        raise Unsnapshotable(f"point {point.id}: an interface that is a class")
    return (
        point.id,
        point.plugin,
        point.description,
        None if interface is None else (interface.module, interface.qualname),
        point.cardinality,
        None if point.config_schema is None else thawed(point.config_schema),
        point.hook,
        point.parameters,
        point.firstresult,
        point.order,
        point.timeout,
    )


def point_from(data: Any) -> Point:
    pid, plugin, description, interface, cardinality, schema, hook, parameters, firstresult, order, timeout = data
    return Point(
        pid,
        plugin,
        description,
        None if interface is None else Reference(*interface),
        cardinality,
        schema,
        hook,
        parameters,
        firstresult,
        order,
        timeout,
    )


def thawed(value: Any) -> Any:
    """``value`` with its read-only mappings as dicts (what marshal writes); lists and tuples as they are."""
    if isinstance(value, MappingProxyType):
        value = dict(value)
    if type(value) is dict:
        return {key: thawed(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(thawed(item) for item in value)
    return value
