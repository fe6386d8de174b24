"""What a plugin's code receives from the host: its id, folder, settings, logger and the host's versions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from manifold._secrets import redact
from manifold._values import field, fields, value_type
from manifold.manifest.model import Manifest, parse_version
from manifold.states import Later, built_on_read

if TYPE_CHECKING:
    import logging
    from importlib.resources.abc import Traversable

    from packaging.version import Version

__all__ = ["PluginContext", "VersionText"]


@value_type
class PluginContext:
    """Given to the plugin object (and to extension classes that take an argument) when built.

    ``root`` is the plugin's folder as a traversable: read data files with
    ``context.root.joinpath("data.json").read_text()``, also from a package or an archive.
    """

    id: str
    version: Version
    root: Traversable
    settings: Mapping[str, Any]
    manifest: Manifest
    app: str | None = None
    app_version: Version | None = None
    api_version: Version | None = None
    watch: Callable[[logging.Logger], logging.Logger] | None = field(default=None, repr=False, compare=False)
    """What the manager does to the plugin's logger before handing it out (it masks the secrets)."""
    _logger: logging.Logger | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def logger(self) -> logging.Logger:
        """The plugin's logger, ``manifold.plugins.<id>``; made when first asked for (a plugin that never
        logs costs no logger)."""
        logger = self._logger
        if logger is None:  # two threads asking at once get the same logger: logging makes one per name
            import logging  # imported by the first plugin that logs (see manifold._log)

            logger = logging.getLogger(f"manifold.plugins.{self.id}")
            if self.watch is not None:
                logger = self.watch(logger)
            object.__setattr__(self, "_logger", logger)
        return logger

    def __repr__(self) -> str:
        """The fields and the logger, with the settings under secret keys masked (a plugin may log its context)."""
        shown = [
            f"{f.name}={redact(_plain(self.settings))!r}"
            if f.name == "settings"
            else f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.repr
        ]
        shown.insert(4, f"logger={self.logger!r}")
        return f"PluginContext({', '.join(shown)})"


# A warm start gives the context its manifest still as data and its version as text: they are built when the
# plugin first reads them (most plugins never read its manifest).
built_on_read(PluginContext, "manifest")
built_on_read(PluginContext, "version")


if TYPE_CHECKING:
    _LaterVersion = Later[Version]
else:  # the base unsubscripted at run time: a subscript written as text is compiled there (typing.ForwardRef)
    _LaterVersion = Later


class VersionText(_LaterVersion):
    """A plugin's version as its manifest writes it, parsed when first read."""

    __slots__ = ("_text", "_version")

    def __init__(self, text: str) -> None:
        self._text = text
        self._version: Version | None = None

    def get(self) -> Version:
        if self._version is None:  # two threads may both parse: equal versions, one kept
            self._version = parse_version(self._text)
        return self._version


def _shown(value: Any, name: str) -> Any:
    return redact(_plain(value)) if name == "settings" else value


def _plain(value: Any) -> Any:
    """Read-only mappings as dicts, so that they print as settings do."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value
