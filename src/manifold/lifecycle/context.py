"""What a plugin's code receives from the host: its id, folder, settings, logger and the host's versions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from manifold.manifest.model import Manifest

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

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
