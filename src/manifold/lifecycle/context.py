"""What a plugin's code receives from the host: its id, folder, settings, logger and the host's versions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from manifold._secrets import redact
from manifold.manifest.model import Manifest

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from packaging.version import Version

__all__ = ["PluginContext"]


@dataclass(frozen=True, slots=True)
class PluginContext:
    """Given to the plugin object (and to extension classes that take an argument) when built.

    ``root`` is the plugin's folder as a traversable: read data files with
    ``context.root.joinpath("data.json").read_text()``, also from a package or an archive.
    """

    id: str
    version: Version
    root: Traversable
    settings: Mapping[str, Any]
    logger: logging.Logger
    manifest: Manifest
    app: str | None = None
    app_version: Version | None = None
    api_version: Version | None = None

    def __repr__(self) -> str:
        """The fields, with the settings under secret keys masked (a plugin may log its context)."""
        shown = (
            f"{f.name}={redact(_plain(self.settings))!r}"
            if f.name == "settings"
            else f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"PluginContext({', '.join(shown)})"


def _plain(value: Any) -> Any:
    """Read-only mappings as dicts, so that they print as settings do."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value
