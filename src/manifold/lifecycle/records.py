"""The manager's state of every plugin: one mutable record per id, the load order, the dependency edges."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from manifold._values import field, value_type
from manifold.errors import UnknownPluginError
from manifold.lifecycle.redact import Secrets, scrub_reason
from manifold.manifest.model import essentials_of
from manifold.sources.scan import Stamp, backing_file, file_stamp
from manifold.states import Deferred, PluginInfo, Reason, State

if TYPE_CHECKING:
    from manifold.importer import PackageListing
    from manifold.lifecycle.context import PluginContext
    from manifold.manifest.diagnostics import Diagnostic
    from manifold.manifest.model import Essentials, Manifest

    _Facts = tuple[State, Reason | None, str | None, Any, float | None, float | None, float | None, tuple[Reason, ...]]
    """What a report keeps of a record: ``Record.facts``."""

__all__ = ["ACTIVATABLE", "HOLDING_CODE", "LiveSettings", "LoadReport", "Plugins", "Record", "RescanResult", "now"]

HOLDING_CODE: tuple[State, ...] = ("active", "loaded", "inactive")
"""The states in which a plugin's code is imported and its object kept."""
ACTIVATABLE: tuple[State, ...] = ("resolved", "loaded", "inactive")
"""The states from which a plugin can be activated."""


def now() -> float:
    """The time, as records keep it: seconds since the epoch (``PluginInfo`` shows it as a UTC ``datetime``)."""
    return time.time()


def _info(plugin_id: str, facts: _Facts) -> PluginInfo:
    """The ``PluginInfo`` of ``facts``, its times as ``datetime`` (imported by the first info made, not by a start)."""
    import datetime

    def dated(moment: float | None) -> datetime.datetime | None:
        return None if moment is None else datetime.datetime.fromtimestamp(moment, datetime.UTC)

    state, reason, source, manifest, discovered, activated, changed, warnings = facts
    return PluginInfo(
        plugin_id, state, reason, source, manifest, dated(discovered), dated(activated), dated(changed), warnings
    )


class LiveSettings(Mapping[str, Any]):
    """A read-only view of a plugin's current settings: what its context holds, so that the plugin
    sees every update. An update swaps the whole mapping in one step (a reader sees the old
    settings or the new ones, never a mix)."""

    __slots__ = ("_current",)

    def __init__(self, current: Mapping[str, Any] | None = None) -> None:
        self._current: Mapping[str, Any] = current if current is not None else MappingProxyType({})

    def swap(self, current: Mapping[str, Any]) -> None:
        self._current = current

    def __getitem__(self, key: str) -> Any:
        return self._current[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)

    def __repr__(self) -> str:
        return f"LiveSettings({dict(self._current)!r})"


@value_type(frozen=False)
class Record:
    """The manager's mutable state of one plugin id (snapshots are PluginInfo).

    Its manifest is given built, or ``Deferred`` (a warm start's snapshot): built when first read."""

    id: str
    held_manifest: Manifest | Deferred | None
    source: str | None
    state: State
    reason: Reason | None = None
    discovered_at: float | None = None
    """When it was discovered, activated, last changed state: seconds since the epoch (see ``now``)."""
    activated_at: float | None = None
    changed_at: float | None = None
    obj: Any = None
    context: PluginContext | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    stamp: Stamp | None = None
    """The manifest's file (a bundle file, an archive) when read: size, mtime, ctime and inode."""
    code_stamp: tuple[int, ...] | None = None
    """The plugin's Python files when imported (see ``code_stamp``)."""
    warnings: tuple[Reason, ...] = ()
    """What gating let pass with a warning (a soft ``requires-api`` or ``requires-app`` mismatch)."""
    held: bool = False
    """The host deactivated it: only the host's ``activate(id)`` activates it again, never a use."""
    activation_seq: int = 0
    """When it last became active, as a count (shutdown runs in reverse)."""
    live: LiveSettings = field(default_factory=LiveSettings)
    """The view of ``settings`` its context holds (see ``LiveSettings``)."""
    given: Mapping[str, Any] | None = None
    """The settings the host gave with ``update_settings`` (a rescan keeps them); None: the configuration's."""
    known: Essentials | None = field(default=None, init=False, repr=False, compare=False)
    """``essentials``, once read."""

    @property
    def manifest(self) -> Manifest | None:
        held = self.held_manifest
        if isinstance(held, Deferred):
            built = held.get()  # built once, whatever the number of threads asking
            if built is not None:
                self.held_manifest = built
            return built
        return held

    @property
    def essentials(self) -> Essentials | None:
        """What activating the plugin reads of its manifest, without building a deferred one; None when it
        has no manifest (or a deferred one cannot be read)."""
        known = self.known
        if known is None:
            held = self.held_manifest
            if isinstance(held, Deferred):
                known = held.essentials()
            elif held is not None:
                known = essentials_of(held)
            self.known = known
        return known

    def set_settings(self, settings: Mapping[str, Any]) -> None:
        """Keep ``settings`` (read-only) and show them to the plugin's context."""
        self.settings = settings
        self.live.swap(settings)

    def info(self) -> PluginInfo:
        return _info(self.id, self.facts())

    def facts(self) -> _Facts:
        """What ``info`` shows but the id, as they are now (a report keeps these, and makes the
        ``PluginInfo`` when the host reads it)."""
        return (
            self.state,
            self.reason,
            self.source,
            self.held_manifest,  # a Deferred one is built when the host reads it
            self.discovered_at,
            self.activated_at,
            self.changed_at,
            self.warnings,
        )

    @property
    def where(self) -> str:
        """The manifest file, for messages (the id when there is none)."""
        essentials = self.essentials
        return essentials.file if essentials is not None else self.id

    @property
    def eager(self) -> bool:
        essentials = self.essentials
        return essentials is not None and essentials.activation == "eager"


class PluginTable(Mapping[str, PluginInfo]):
    """A report's plugins: each plugin's facts as they were when the report was made, each made into a
    ``PluginInfo`` when first read (a report nobody reads costs a tuple per plugin). Read-only."""

    __slots__ = ("_facts", "_made")

    def __init__(self, facts: dict[str, _Facts]) -> None:
        self._facts = facts
        self._made: dict[str, PluginInfo] = {}

    def __getitem__(self, plugin_id: str) -> PluginInfo:
        made = self._made.get(plugin_id)
        if made is None:
            made = _info(plugin_id, self._facts[plugin_id])
            made = self._made.setdefault(plugin_id, made)  # threads reading at once get the same one
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def __contains__(self, plugin_id: object) -> bool:
        return plugin_id in self._facts

    def state(self, plugin_id: str) -> State:
        """``self[plugin_id].state``, without making the ``PluginInfo``."""
        return self._facts[plugin_id][0]

    def __repr__(self) -> str:
        return repr(dict(self))


@value_type
class LoadReport:
    """Every plugin the manager knows, its state and reason, the load order and manifest diagnostics."""

    plugins: Mapping[str, PluginInfo]
    order: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]

    def in_state(self, *states: State) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.state in states]

    @property
    def active(self) -> list[str]:
        plugins = self.plugins
        if isinstance(plugins, PluginTable):  # a manager's report: the states without making PluginInfos
            return [pid for pid in self.order if plugins.state(pid) == "active"]
        return [pid for pid in self.order if plugins[pid].state == "active"]

    @property
    def warnings(self) -> dict[str, tuple[Reason, ...]]:
        """The plugins gating let pass with a warning, each with its warnings (``PluginInfo.warnings``)."""
        return {pid: info.warnings for pid, info in self.plugins.items() if info.warnings}

    def by_reason(self) -> dict[str, list[str]]:
        """Plugin ids grouped by the code of their reason."""
        grouped: dict[str, list[str]] = {}
        for info in self.plugins.values():
            if info.reason is not None:
                grouped.setdefault(info.reason.code, []).append(info.id)
        return grouped


@value_type
class RescanResult:
    """What a rescan found: plugin ids that appeared, disappeared, or whose manifest or code changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


class Plugins:
    """Every plugin's record, the load order and who needs whom; states change only through ``set_state``.

    ``secrets`` are the values no reason may show (the settings under secret keys); it grows when
    the host passes new ones (``update_settings``).
    """

    def __init__(self, secrets: Secrets) -> None:
        self.records: dict[str, Record] = {}
        self.order: tuple[str, ...] = ()
        self.needs: Mapping[str, list[str]] = {}
        """Each gated plugin -> the plugins it needs (dependencies and present optional ones)."""
        self.needed_by: dict[str, list[str]] = {}
        self.diagnostics: tuple[Diagnostic, ...] = ()
        self.secrets = secrets
        self._activations = 0

    def activated(self, record: Record) -> None:
        """``record`` just became active: it is the last to have (for shutting down in reverse)."""
        self._activations += 1
        record.activation_seq = self._activations

    def by_activation(self) -> list[str]:
        """The active plugins, the last to become active first."""
        active = [r for r in self.records.values() if r.state == "active"]
        return [r.id for r in sorted(active, key=lambda r: -r.activation_seq)]

    def __getitem__(self, plugin_id: str) -> Record:
        """The record of ``plugin_id``; raises UnknownPluginError when no source has it."""
        try:
            return self.records[plugin_id]
        except KeyError:
            raise UnknownPluginError(plugin_id) from None

    def __iter__(self) -> Iterator[Record]:
        return iter(list(self.records.values()))

    def set_state(self, record: Record, state: State, reason: Reason | None) -> None:
        """Move ``record`` to ``state`` for ``reason`` (its words and traceback with every secret masked)."""
        if reason is not None:
            reason = scrub_reason(reason, self.secrets)
        record.state, record.reason, record.changed_at = state, reason, now()

    def adopt(self, staged: Plugins) -> None:
        """Take over what ``staged`` resolved aside (a rescan): its records, diagnostics, edges and order."""
        self.records, self.diagnostics, self.needs, self.needed_by, self.order = (
            staged.records,
            staged.diagnostics,
            staged.needs,
            staged.needed_by,
            staged.order,
        )

    def report(self) -> LoadReport:
        return LoadReport(
            PluginTable({pid: r.facts() for pid, r in self.records.items()}), self.order, self.diagnostics
        )

    def dependencies(self, plugin_id: str) -> list[str]:
        """The gated plugins ``plugin_id`` needs, sorted."""
        return sorted(need for need in self.needs.get(plugin_id, ()) if need in self.needs)

    def dependents(self, plugin_id: str) -> list[str]:
        """The plugins that need ``plugin_id`` directly."""
        return self.needed_by.get(plugin_id, [])

    def all_dependents(self, plugin_id: str) -> set[str]:
        """The plugins that need ``plugin_id``, directly or through others."""
        found: set[str] = set()
        todo = [plugin_id]
        while todo:
            for other in self.dependents(todo.pop()):
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return found


def source_stamp(source: Any) -> Stamp | None:
    """The stamp of the file on disk behind a manifest (a bundle file, an archive, or itself)."""
    try:
        return file_stamp(backing_file(source))
    except TypeError:
        return None


def code_stamp(essentials: Essentials, listings: Mapping[str, PackageListing] | None = None) -> tuple[int, ...]:
    """The number of the plugin's Python files, their latest modification and change times, and a sum of
    their inodes (all 0 if unknown): an edit that puts the size and modification time back still changes
    the change time, and a file replaced by another changes its inode.

    ``listings``: what the importer saw of some of the packages' folders as it imported them
    (``PluginImporter.listings``); such a folder is not listed again, and its ``__init__.py`` not
    looked at again (its stamp is the one taken before its source was read). For unchanged files the
    result is the one computed from the disk alone."""
    count = latest = changed = inodes = 0
    root = essentials.code_root
    if not isinstance(root, Path):
        return 0, 0, 0, 0  # not a real folder (an archive): its stamp is the manifest's
    for package in essentials.packages:
        listing = listings.get(package) if listings else None
        if listing is None:
            found_files = _python_files(os.path.join(root, package))
        else:
            found_files = _listed_files(listing.entries, listing.init)
        for _, modified, status_changed, inode in found_files:
            count += 1
            latest = max(latest, modified)
            changed = max(changed, status_changed)
            inodes = (inodes + inode) % (1 << 64)
    return count, latest, changed, inodes


def _python_files(package: str) -> Iterator[Stamp]:
    """The stamps of a package's Python files (every ``.py`` under ``package/``, or ``package.py``)."""
    try:
        with os.scandir(package) as listing:  # a package folder, the usual case, first: a failed call costs more
            entries = list(listing)
    except OSError:
        found = file_stamp(f"{package}.py")
        if found is not None:
            yield found
        return
    yield from _listed_files(entries)


def _listed_files(entries: Iterable[os.DirEntry[str]], init: Stamp | None = None) -> Iterator[Stamp]:
    """The stamps of the Python files among a package folder's ``entries`` and below its sub-folders
    (``__pycache__`` and links to folders aside); ``init``: the stamp of its ``__init__.py``, if known.

    Each file's ``stat`` follows a link, as ``os.stat`` (on every system: ``DirEntry.stat`` leaves
    ``st_ino`` 0 on Windows), and is taken afresh, never from what a ``DirEntry`` kept."""
    for entry in entries:
        try:
            if entry.name.endswith(".py") and entry.is_file():
                stamp = init if init is not None and entry.name == "__init__.py" else file_stamp(entry.path)
                if stamp is not None:
                    yield stamp
            elif entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                yield from _python_files(entry.path)
        except OSError:
            continue
