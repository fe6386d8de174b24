"""Activation: the state machine that imports, builds, activates, deactivates and unloads plugins, in
dependency order, under the time limit, telling the listeners; one plugin's failure stops only it
and what needs it."""

from __future__ import annotations

import contextlib
import importlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from manifold._log import logger
from manifold.errors import SettingsError, StrictModeError, describe, printable
from manifold.lifecycle.context import PluginContext, VersionText
from manifold.lifecycle.listeners import Listeners
from manifold.lifecycle.objects import call_method, construct, probe
from manifold.lifecycle.records import ACTIVATABLE, HOLDING_CODE, Plugins, Record, code_stamp, now
from manifold.lifecycle.redact import secrets_in, traceback_of
from manifold.lifecycle.runner import PROPAGATES, CallTimeout, Runner
from manifold.manifest.settings import check_values
from manifold.sources.archives import check_unchanged
from manifold.sources.gcpause import paused
from manifold.states import Deferred, Phase, Reason

if TYPE_CHECKING:
    from manifold.config import HostConfig
    from manifold.importer import PluginImporter
    from manifold.lifecycle.redact import LogRedaction, Secrets
    from manifold.registry import Registry

__all__ = ["Activation", "HookState"]


class HookState(Protocol):
    """What activation tells the hook callers: a plugin became active, or callers must compile again."""

    def activated(self, plugin_id: str) -> None: ...

    def invalidate(self, point_id: str | None = None) -> None: ...


class Activation:
    """Moves plugins between ``resolved``, ``active``, ``inactive`` and ``failed``, dependencies first."""

    def __init__(
        self,
        plugins: Plugins,
        config: HostConfig,
        registry: Registry,
        importer: PluginImporter,
        runner: Runner,
        redaction: LogRedaction,
    ) -> None:
        self.plugins = plugins
        self.config = config
        self.registry = registry
        self.importer = importer
        self.runner = runner
        self.hooks: HookState | None = None
        """The hook callers, once the host asked for one (they compile again when plugins change)."""
        self.redaction = redaction
        self.listeners = Listeners()

    def invalidate_hooks(self, point_id: str | None = None) -> None:
        """The hook callers (of ``point_id``, or all) compile again on their next call."""
        if self.hooks is not None:
            self.hooks.invalidate(point_id)

    def can_activate(self, record: Record) -> bool:
        """Whether a use may activate ``record`` (the host's ``activate(id)`` lifts a hold first)."""
        # what it needs of its manifest first: what cannot be read (a damaged snapshot's) leaves it filtered
        return (
            record.essentials is not None
            and record.state in ACTIVATABLE
            and not record.held
            and not self.config.safe_mode
        )

    def hold(self, record: Record) -> None:
        """The host deactivated ``record``: nothing activates it again but the host's ``activate(id)``
        (a plugin never activated becomes ``inactive`` too)."""
        record.held = True
        if record.state in ("resolved", "loaded"):
            self.plugins.set_state(record, "inactive", None)
            self.invalidate_hooks()

    def lift(self, plugin_id: str) -> None:
        """The host activates ``plugin_id``: lift the holds on it and on what it needs."""
        todo, seen = [plugin_id], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            self.plugins.records[pid].held = False
            todo += self.plugins.dependencies(pid)

    def held_by(self, plugin_id: str) -> str | None:
        """The plugin the host deactivated that keeps ``plugin_id`` from being used: itself, or one
        it requires (directly or through others); None when there is none."""
        todo, seen = [plugin_id], set()
        while todo:
            pid = todo.pop(0)
            if pid in seen:
                continue
            seen.add(pid)
            record = self.plugins.records[pid]
            if record.held and record.state != "active":
                return pid
            essentials = record.essentials
            required = essentials.requires if essentials is not None else frozenset()
            todo += [dep for dep in self.plugins.dependencies(pid) if dep in required]
        return None

    def activate(self, plugin_ids: Iterable[str]) -> None:
        """Activate each plugin (dependencies first) in turn.

        A batch of ``PAUSE_FROM`` plugins or more (a host's start) runs with the cyclic collector paused,
        and what it built goes to the oldest generation when it ends, as discovery's objects do
        (``sources/gcpause.py``): as the plugins' modules and objects pile up, each full collection walks
        every object the process holds, so that the time grew faster than the number of plugins
        (activating 5,000 generated plugins took 1.1-1.2 s, 0.9 s paused, against 0.2 s for 1,000).
        Reference counting goes on; a cycle plugin code leaves in the batch is freed by the next full
        collection."""
        ids = list(plugin_ids)
        with paused(long_lived=True) if len(ids) >= PAUSE_FROM else contextlib.nullcontext():
            self.each(self._activate_tree, ids)

    def each(self, step: Callable[[str], object], plugin_ids: Iterable[str]) -> None:
        """``step`` each plugin in turn, in one trip to the worker thread when there is a time limit
        (plugin code, listeners and bookkeeping run there in the same order as without one). When
        plugin code overruns the limit, the plugins whose code was running fail with a timeout and a
        new trip goes on with the rest."""
        pending = deque(plugin_ids)

        def body() -> None:
            while pending:
                step(pending[0])
                pending.popleft()

        while pending:
            try:
                self.runner.run(body)
            except CallTimeout as e:
                for record in reversed(e.running):  # innermost first: a plugin activating another
                    if isinstance(record, Record):
                        self.fail(record, "timeout", e)
        if self.importer.code_cache is not None:
            self.importer.code_cache.release()  # the code compiled by this batch, for the next start

    def check_strict(self) -> None:
        """In strict mode, raise StrictModeError when a required plugin is filtered, unresolved or
        failed; a healthy lazy one (resolved, not yet used) is fine."""
        if not self.config.strict:
            return
        records = self.plugins.records
        missing = {
            pid: records[pid].reason if pid in records else None
            for pid in self.config.required
            if pid not in records or records[pid].state not in _HEALTHY
        }
        if missing:
            raise StrictModeError(missing)

    def _activate_tree(self, plugin_id: str) -> bool:
        record = self.plugins.records[plugin_id]
        if record.state == "active":
            return True
        if not self.can_activate(record):
            return False
        essentials = record.essentials
        assert essentials is not None  # can_activate
        required = essentials.requires
        for dep in self.plugins.dependencies(plugin_id):
            if not self._activate_tree(dep) and dep in required:
                if self.held_by(dep) is None:  # a dependency the host deactivated blocks only this use
                    self._unavailable(record, dep)
                return False
        return self._activate_one(record)

    def _activate_one(self, record: Record) -> bool:
        essentials = record.essentials
        assert essentials is not None  # can_activate
        phase: list[Phase] = ["import"]  # where the plugin's code is, for the report if it raises or hangs

        def build() -> Any:  # import the code and build the plugin object (None without a class)
            ref = essentials.plugin_class
            if ref is None:
                for package in essentials.packages:
                    importlib.import_module(package)
                return None
            cls = self.importer.load(essentials.id, ref)
            phase[0] = "construct"
            return construct(cls, record.context)

        # Each timed call ends where a timeout can end it: nothing after a call that overran runs.
        imported = False
        try:
            if record.state != "loaded" and record.obj is None:
                imported = True
                self.importer.install()  # on first use: discovery alone leaves sys.meta_path alone
                check_unchanged(essentials.root)  # code in an archive is imported from the file that was checked
                self.importer.add(
                    essentials.id, essentials.packages, essentials.code_root, installed=essentials.installed
                )
                record.context = self.context(record)
                record.obj = self.runner.call(build, record)
            phase[0] = "activate"
            if record.obj is not None:  # looking the method up runs plugin code too (a __getattr__): timed
                self.runner.call(lambda: call_method(record.obj, "activate"), record)
        except PROPAGATES:
            raise
        except BaseException as e:  # CancelledError, SystemExit, ...: a failure of this plugin only
            self.fail(record, phase[0], e)
            return False
        record.activated_at = now()
        self.plugins.activated(record)
        if imported or record.code_stamp is None:  # code held since an earlier activation keeps its stamp
            record.code_stamp = code_stamp(essentials, self.importer.take_listings(record.id))
        self.plugins.set_state(record, "active", None)
        if self.hooks is not None:
            self.hooks.activated(record.id)  # callers compile again; historic hook calls are replayed to it
        self.listeners.notify("activated", record)
        return True

    def context(self, record: Record) -> PluginContext:
        """What the plugin's code receives: its id, folder, settings, logger and the host's versions (a
        manifest a warm start restored is built when the plugin first reads it, and so is its version)."""
        essentials = record.essentials
        assert essentials is not None
        manifest = record.held_manifest
        assert manifest is not None
        version = VersionText(essentials.version) if isinstance(manifest, Deferred) else manifest.version
        return PluginContext(  # a Deferred manifest and a VersionText are built when read
            id=essentials.id,
            version=version,  # type: ignore[arg-type]
            root=essentials.root,
            settings=record.live,  # the plugin sees every update_settings
            manifest=manifest,  # type: ignore[arg-type]
            app=self.config.app,
            app_version=self.config.app_version,
            api_version=self.config.api_version,
            watch=self.redaction.watch,
        )

    def fail(self, record: Record, phase: Phase, error: BaseException) -> None:
        """``record``'s code raised (or hung) in ``phase``: forget its objects and modules, block its dependents."""
        where = "timed out" if phase == "timeout" else f"failed in {phase}"
        detail = printable(error) if phase == "timeout" else describe(error)
        reason = Reason(
            "failed", f"{record.id} {where}: {detail}", phase=phase, error=error, traceback=traceback_of(error)
        )
        self.plugins.set_state(record, "failed", reason)  # masks the secrets in its words and traceback
        assert record.reason is not None
        logger.error("%s", record.reason.message)
        self.listeners.notify("failed", record)
        for handle in self.registry.all_extensions():
            if handle.plugin == record.id:
                handle.forget()
        self.invalidate_hooks()
        record.obj = record.context = None
        self.importer.remove(record.id)  # half-imported modules go too
        self.block_dependents(record.id)

    def _unavailable(self, record: Record, dep: str) -> None:
        from manifold.graph.rules import unavailable_because  # the rule engine is loaded by a failure only

        reason = self.plugins.records[dep].reason or Reason("failed", f"{dep} is not active")
        self.plugins.set_state(record, "unresolved", unavailable_because(record.id, dep, reason))

    def block_dependents(self, plugin_id: str) -> None:
        """Every plugin that requires ``plugin_id`` (not optionally) becomes unresolved, with the chain."""
        for pid in self.plugins.dependents(plugin_id):
            record = self.plugins.records[pid]
            if record.state in ACTIVATABLE:
                essentials = record.essentials
                if essentials is not None and plugin_id not in essentials.requires:
                    continue  # an optional dependency: the dependent can do without it
                self._unavailable(record, plugin_id)
                self.block_dependents(pid)

    def deactivate(self, plugin_ids: Iterable[str]) -> None:
        """Deactivate each plugin, its active dependents first."""
        self.each(self._deactivate_tree, plugin_ids)

    def _deactivate_tree(self, plugin_id: str) -> None:
        record = self.plugins.records[plugin_id]
        if record.state != "active":
            return
        for dep in reversed(self.plugins.dependents(plugin_id)):
            self._deactivate_tree(dep)
        if record.obj is not None:
            try:
                self.runner.call(lambda: call_method(record.obj, "deactivate"), record)
            except PROPAGATES:
                raise
            except BaseException as e:
                self.fail(record, "deactivate", e)
                return
        self.plugins.set_state(record, "inactive", None)
        self.invalidate_hooks()
        self.listeners.notify("deactivated", record)

    def unload(self, plugin_id: str) -> tuple[str, ...]:
        """Deactivate the plugin (dependents first), forget its objects and remove its modules."""
        record = self.plugins[plugin_id]
        for dep in reversed(self.plugins.dependents(plugin_id)):
            if self.plugins.records[dep].state in HOLDING_CODE:
                self.unload(dep)
        if record.state == "active":
            self.deactivate([plugin_id])
        self.teardown(record)
        record.obj = None
        record.context = None
        for handle in self.registry.all_extensions():
            if handle.plugin == plugin_id:
                handle.forget()
                handle.error = None
        self.invalidate_hooks()
        removed = self.importer.remove(plugin_id)
        if record.state in ("inactive", "loaded") and not record.held:
            self.plugins.set_state(record, "resolved", None)
        return removed

    def teardown(self, record: Record) -> None:
        """Call the plugin object's optional ``teardown()`` once, as its object goes (after
        ``deactivate()``): timed and contained, a failure is logged and the unloading goes on."""
        obj, record.obj = record.obj, None
        if obj is None:
            return
        try:
            self.runner.call(lambda: call_method(obj, "teardown"), record)
        except PROPAGATES:
            raise
        except BaseException as e:
            logger.error("%s: teardown raised %s", record.id, self.secrets.scrub(describe(e)))

    def shut(self, record: Record) -> None:
        """Let go of a plugin that stays present but can no longer load (a rescan took a dependency away)."""
        obj = record.obj
        if record.state == "active" and obj is not None:
            try:
                self.runner.call(lambda: call_method(obj, "deactivate"), record)
            except PROPAGATES:
                raise
            except BaseException as e:
                logger.error("%s: deactivate raised %s", record.id, self.secrets.scrub(describe(e)))
        self.teardown(record)
        self.importer.remove(record.id)
        self.listeners.notify("deactivated", record)

    @property
    def secrets(self) -> Secrets:
        return self.plugins.secrets

    def update_settings(self, record: Record, values: Mapping[str, Any], *, replace: bool = False) -> Mapping[str, Any]:
        """Merge ``values`` into the settings (``replace``: they are the whole settings), check and
        keep them, show them to the plugin's context, and tell the object (``settings_changed``).

        Values under secret keys are secrets from now on, even when they are refused."""
        self.secrets.add(*secrets_in(values))
        schema = record.manifest.settings_schema if record.manifest is not None else None
        given = values if replace else {**record.settings, **values}
        new, problems = check_values(schema, given, (), "schema")
        if problems:
            words = [self.secrets.scrub(p.message) for p in problems]
            raise SettingsError(f"settings of {record.id}", words, plugin=record.id)
        old = record.settings
        record.given = MappingProxyType(dict(given))
        record.set_settings(MappingProxyType(new))
        obj, new_settings = record.obj, record.settings
        if obj is not None:
            try:
                changed = probe(obj, "settings_changed")
                if changed is not None:
                    self.runner.call(lambda: changed(old, new_settings), record)
            except PROPAGATES:
                raise
            except BaseException as e:
                logger.error("%s: settings_changed raised %s", record.id, describe(e), exc_info=e)
        return record.settings

    def health(self) -> dict[str, dict[str, Any]]:
        """``{"status": "ok" | "error", ...}`` per active plugin, from its object's optional ``health()``."""
        results: dict[str, dict[str, Any]] = {}
        for pid in self.plugins.order:
            record = self.plugins.records[pid]
            if record.state != "active":
                continue
            try:
                check = probe(record.obj, "health")
                if check is None:
                    results[pid] = {"status": "ok"}
                    continue
                value = self.runner.call(check, record)
                result = dict(value) if isinstance(value, Mapping) else {"status": "ok", "detail": value}
            except PROPAGATES:
                raise
            except BaseException as e:
                results[pid] = {"status": "error", "error": self.secrets.scrub(describe(e))}
                continue
            result.setdefault("status", "ok")
            results[pid] = result
        return results


_HEALTHY = ("active", "resolved", "loaded", "inactive")
PAUSE_FROM = 100
"""A batch of at least this many plugins activates with the cyclic collector paused (see ``Activation.activate``)."""
"""The states strict mode accepts for a required plugin: nothing about it failed."""
