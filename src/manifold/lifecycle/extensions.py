"""Loading one extension: activate its plugin, check its config, import its object, check its type or hook."""

from __future__ import annotations

from collections.abc import Mapping
from types import FunctionType, MappingProxyType
from typing import TYPE_CHECKING, Any

from manifold._log import logger
from manifold.errors import ExtensionError, describe
from manifold.lifecycle.objects import construct
from manifold.lifecycle.redact import scrub_reason, traceback_of
from manifold.lifecycle.runner import PROPAGATES
from manifold.manifest.model import Reference
from manifold.manifest.settings import check_values
from manifold.states import Reason

if TYPE_CHECKING:
    from collections.abc import Callable

    from manifold.importer import PluginImporter
    from manifold.lifecycle.activation import Activation
    from manifold.registry import ExtensionHandle, Point

__all__ = ["ExtensionLoader"]


class ExtensionLoader:
    """``load(handle)`` is what every extension handle calls on first use (``handle.load()``).

    ``activate(plugin_id) -> bool`` activates a plugin and its dependencies for a use (never one
    the host deactivated). The words of every
    ExtensionError (and of the handle's ``error``) are free of the host's secrets.
    """

    def __init__(
        self,
        activation: Activation,
        importer: PluginImporter,
        activate: Callable[[str], bool],
    ) -> None:
        self.activation = activation
        self.importer = importer
        self.activate = activate

    def load(self, handle: ExtensionHandle) -> Any:
        """Activate the plugin (dependencies first), check the config, import and check the object."""
        point = self.activation.registry.point(handle.point)
        if not self.activate(handle.plugin):
            held = self.activation.held_by(handle.plugin)
            if held is not None:
                who = held if held == handle.plugin else f"it needs {held}, which"
                why = f"{who} was deactivated by the host (activate it to use it again)"
            else:
                why = str(self.activation.plugins.records[handle.plugin].reason)
            raise self._error(f"extension of {handle.plugin} to {handle.point} is unavailable: {why}", handle)
        try:
            config = self._config(handle, point)
            if handle.ref is None:
                if point is not None and point.hook:
                    self._check_hook(handle, point, config)
                return config
            value = self.importer.load(handle.plugin, handle.ref)
            if isinstance(value, FunctionType) and "." in handle.ref.qualname:
                value = self._method(handle, point, value)
            if isinstance(value, type):
                value = construct(value, self.activation.plugins.records[handle.plugin].context)
            if point is not None and point.interface is not None:
                self._check_interface(handle, point, value)
            if point is not None and point.hook:
                self._check_hook(handle, point, value)
            return value
        except ExtensionError as e:
            self._fail(handle, str(e), e)
            raise
        except PROPAGATES:
            raise
        except BaseException as e:  # plugin code: importing the module, building the object
            message = f"loading {handle.ref} of {handle.plugin} for {handle.point} raised {describe(e)}"
            reason = self._fail(handle, message, e)
            error = self._error(message, handle)
            # The cause prints with the host's traceback: it goes along only when it shows no secret.
            shown = traceback_of(e)
            raise error from (e if reason.traceback == shown else None)

    def _method(self, handle: ExtensionHandle, point: Point | None, value: Any) -> Any:
        """``value``, a function the ref names as an attribute: bound to the plugin object when it is a
        method of the plugin's class (the one object the manager built, shared by all its hooks); a
        method of another class is refused for a hook (it would be called without ``self``)."""
        ref = handle.ref
        assert ref is not None
        owner, _, name = ref.qualname.rpartition(".")
        container = self.importer.load(handle.plugin, Reference(ref.module, owner))
        import inspect  # a method named by a ref only: not on a host's import

        if not isinstance(container, type) or not isinstance(
            inspect.getattr_static(container, name, None), FunctionType
        ):
            return value  # a static method, or an attribute of an object that is not a class
        record = self.activation.plugins.records[handle.plugin]
        essentials = record.essentials
        declared = None if essentials is None else essentials.plugin_class
        if declared is not None and declared.module == ref.module and declared.qualname == owner:
            return value if record.obj is None else getattr(record.obj, name)
        if point is None or not point.hook:
            return value
        ours = "the plugin declares no class" if declared is None else f"not of the plugin's class ({declared})"
        connector = ", and" if declared is None else ","
        raise self._error(
            f"{record.where}: extensions[{handle.index}].ref: {ref} of {handle.plugin} is a method of class "
            f"{ref.module}:{owner}{connector} {ours}; only the plugin's own methods are bound to its object",
            handle,
            point=point.id,
        )

    def _config(self, handle: ExtensionHandle, point: Point | None) -> Mapping[str, Any]:
        if point is None or point.config_schema is None:
            return handle.config
        where = ("extensions", handle.index, "config")
        config, problems = check_values(point.config_schema, handle.config, where, "config")
        if problems:
            raise self._error(f"{handle.plugin}: {'; '.join(p.message for p in problems)}", handle)
        handle.config = MappingProxyType(config)
        return handle.config

    def _check_interface(self, handle: ExtensionHandle, point: Point, value: Any) -> None:
        interface = point.interface
        if isinstance(interface, Reference):
            assert point.plugin is not None
            if not self.activate(point.plugin):
                message = f"the interface of {point.id} cannot be loaded: {point.plugin} is unavailable"
                raise self._error(message, handle, point=point.id)
            interface = self.importer.load(point.plugin, interface)
        assert isinstance(interface, type)
        ok = issubclass(value, interface) if isinstance(value, type) else isinstance(value, interface)
        if not ok:
            raise self._error(
                f"{handle.ref} of {handle.plugin} is a {_type_name(value)}, not a {_type_name(interface)} "
                f"as point {point.id} requires",
                handle,
                point=point.id,
            )

    def _check_hook(self, handle: ExtensionHandle, point: Point, value: Any) -> None:
        from manifold.hooks import attach_implementation  # only for a hook point

        problem = attach_implementation(point, handle, value)  # built once, kept on the handle for the callers
        if problem is not None:
            where = self.activation.plugins.records[handle.plugin].where
            raise self._error(f"{where}: {problem}", handle, point=point.id)

    def _error(self, message: str, handle: ExtensionHandle, *, point: str | None = None) -> ExtensionError:
        """An ExtensionError about ``handle`` (or about ``point``) whose words show no secret."""
        words = self.activation.secrets.scrub(message)
        return ExtensionError(words, point=handle.point if point is None else point, plugin=handle.plugin)

    def _fail(self, handle: ExtensionHandle, message: str, error: BaseException) -> Reason:
        """Keep on the handle why it failed (its words and traceback without secrets)."""
        reason = Reason("failed", message, phase="extension", error=error, traceback=traceback_of(error))
        handle.error = reason = scrub_reason(reason, self.activation.secrets)
        logger.error("%s", reason.message)
        self.activation.invalidate_hooks(handle.point)  # the callers of the point leave it out
        return reason


def _type_name(value: Any) -> str:
    kind = value if isinstance(value, type) else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"
