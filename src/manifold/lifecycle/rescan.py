"""Rescan: read the sources again, tell what appeared, disappeared or changed, and take the new set over in one step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from manifold.lifecycle.records import HOLDING_CODE, Plugins, Record, RescanResult, code_stamp
from manifold.sources.gcpause import paused

if TYPE_CHECKING:
    from manifold.lifecycle.activation import Activation
    from manifold.lifecycle.discovery import Discovery
    from manifold.registry import Registry

__all__ = ["rescan", "rescan_diff"]


def rescan(
    plugins: Plugins,
    registry: Registry,
    discovery: Discovery,
    activation: Activation,
    unload: Callable[[str], object],
) -> RescanResult:
    """Unload what disappeared or changed, resolve the new set aside, take it over, and activate again
    what was active (and new eager plugins). The caller holds the manager's lock.

    The new records and extensions are filled in a ``Plugins`` and a registry of their own, then swapped
    in: a reader in another thread sees the old extensions or the new ones, never a mix.
    """
    old = plugins.records
    was_active = {pid for pid, r in old.items() if r.state == "active"}
    with paused(long_lived=True):
        records, diagnostics, _ = discovery.read()
    added, removed, changed = rescan_diff(old, records)
    for pid in (*removed, *changed):
        if old[pid].state in HOLDING_CODE:
            unload(pid)
    for pid, record in records.items():
        previous = old.get(pid)
        if previous is not None:
            record.held = previous.held  # a deactivate() lasts until activate()
            record.given = previous.given  # and update_settings() until the next
        if previous is not None and previous.state in HOLDING_CODE:
            record.state, record.obj, record.context = previous.state, previous.obj, previous.context
            record.activated_at, record.code_stamp = previous.activated_at, previous.code_stamp
            record.activation_seq, record.live = previous.activation_seq, previous.live
    staged, fresh = Plugins(plugins.secrets), registry.staging()
    staged.records, staged.diagnostics = records, diagnostics
    with paused(long_lived=True):
        discovery.resolve(staged, fresh)
    plugins.adopt(staged)  # the swap: the new records and order, then the new extensions
    registry.adopt(fresh)
    for pid, previous in old.items():
        if previous.state in HOLDING_CODE and pid in records and pid not in plugins.order:
            # still present, but no longer loadable (a dependency went away): let go of it
            activation.shut(previous)
    activation.activate([pid for pid in plugins.order if pid in was_active or (pid in added and records[pid].eager)])
    return RescanResult(added, removed, changed)


def rescan_diff(old: Mapping[str, Record], new: Mapping[str, Record]) -> tuple[tuple[str, ...], ...]:
    """The plugin ids that appeared in ``new``, disappeared from ``old``, and changed (manifest or code)."""
    added = tuple(pid for pid in new if pid not in old and new[pid].manifest is not None)
    removed = tuple(pid for pid in old if pid not in new and old[pid].manifest is not None)
    changed = tuple(pid for pid in new if pid in old and new[pid].manifest is not None and _changed(old[pid], new[pid]))
    return added, removed, changed


def _changed(old: Record, new: Record) -> bool:
    if old.stamp != new.stamp:
        return True
    essentials = old.essentials
    if essentials is None or old.state not in HOLDING_CODE:
        return False
    return old.code_stamp != code_stamp(essentials)
