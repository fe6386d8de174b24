"""Where manifests are: a manifest file, a plugin folder, or a drop-in folder of plugin folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from manifold.errors import UsageError

__all__ = ["MANIFEST_NAME", "ManifestLocation", "find_manifests"]

MANIFEST_NAME = "plugin.toml"


@dataclass(frozen=True, slots=True)
class ManifestLocation:
    """One manifest to read: its name for messages, the file itself, and the plugin folder it describes."""

    file: str
    source: Traversable
    root: Traversable


def find_manifests(path: str | os.PathLike[str]) -> list[ManifestLocation]:
    """The manifests at ``path``: the file itself, ``path/plugin.toml``, or ``path/*/plugin.toml``.

    Raises UsageError when ``path`` does not exist.
    """
    given = Path(path)
    if given.is_file():
        return [ManifestLocation(str(given), given, given.parent)]
    if not given.is_dir():
        raise UsageError(f"{path}: no such file or folder")
    if (given / MANIFEST_NAME).is_file():
        return [_location(given)]
    try:
        children = sorted(os.scandir(given), key=lambda entry: entry.name)
    except OSError as e:
        raise UsageError(f"{path}: cannot list the folder: {e.strerror}") from e
    return [
        _location(given / entry.name)
        for entry in children
        if not entry.name.startswith(".")
        and entry.is_dir()
        and os.path.isfile(os.path.join(entry.path, MANIFEST_NAME))
    ]


def _location(folder: Path) -> ManifestLocation:
    manifest = folder / MANIFEST_NAME
    return ManifestLocation(str(manifest), manifest, folder)
