"""Where plugins come from: drop-in folders, plugin folders and folders inside installed packages."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Protocol, runtime_checkable

from manifold.errors import UsageError

__all__ = [
    "MANIFEST_NAME",
    "FolderSource",
    "ManifestLocation",
    "PackageSource",
    "Source",
    "SourceError",
    "as_source",
    "find_manifests",
]

MANIFEST_NAME = "plugin.toml"
PACKAGE_SCHEME = "pkg://"


@dataclass(frozen=True, slots=True)
class ManifestLocation:
    """One manifest to read: its name for messages, the file itself, and the plugin folder it describes."""

    file: str
    source: Traversable
    root: Traversable


class SourceError(UsageError):
    """A source cannot be read (a missing folder, a package that is not installed)."""


@runtime_checkable
class Source(Protocol):
    """An ordered place plugins come from; earlier sources win over later ones for the same id."""

    @property
    def name(self) -> str: ...

    def manifests(self) -> list[ManifestLocation]:
        """The manifests in this source, in a stable order; raises SourceError when unreadable."""
        ...


@dataclass(frozen=True, slots=True)
class FolderSource:
    """A plugin folder (it holds ``plugin.toml``) or a drop-in folder of plugin folders."""

    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    def manifests(self) -> list[ManifestLocation]:
        if not self.path.is_dir():
            raise SourceError(f"{self.path}: no such folder")
        return _scan(self.path, str(self.path))


@dataclass(frozen=True, slots=True)
class PackageSource:
    """``pkg://package/sub/folder``: a plugin or drop-in folder shipped inside an installed package.

    Read through importlib resources, so a package installed as a zip works too. Importing
    ``package`` itself (the host's package, not plugin code) is needed to find its files.
    """

    package: str
    folder: str = ""

    @property
    def name(self) -> str:
        return f"{PACKAGE_SCHEME}{self.package}/{self.folder}".rstrip("/")

    def manifests(self) -> list[ManifestLocation]:
        try:
            root = files(self.package)
        except (ImportError, TypeError) as e:
            raise SourceError(f"{self.name}: package {self.package!r} cannot be found: {e}") from e
        for part in self.folder.split("/"):
            if part:
                root = root.joinpath(part)
        if not root.is_dir():
            raise SourceError(f"{self.name}: no such folder in package {self.package}")
        return _scan(root, self.name)


def as_source(spec: str | os.PathLike[str] | Source) -> Source:
    """A source from a path, a ``pkg://package/folder`` string, or a Source itself."""
    if isinstance(spec, Source):
        return spec
    text = os.fspath(spec)
    if text.startswith(PACKAGE_SCHEME):
        package, _, folder = text[len(PACKAGE_SCHEME) :].partition("/")
        if not package:
            raise UsageError(f"{text}: write pkg://package/folder")
        return PackageSource(package, folder.strip("/"))
    return FolderSource(Path(text))


def _scan(root: Traversable, name: str) -> list[ManifestLocation]:
    if root.joinpath(MANIFEST_NAME).is_file():
        return [ManifestLocation(f"{name}/{MANIFEST_NAME}", root.joinpath(MANIFEST_NAME), root)]
    found = []
    for child in sorted(root.iterdir(), key=lambda entry: entry.name):
        if child.name.startswith(".") or not child.is_dir():
            continue
        manifest = child.joinpath(MANIFEST_NAME)
        if manifest.is_file():
            found.append(ManifestLocation(f"{name}/{child.name}/{MANIFEST_NAME}", manifest, child))
    return found


def find_manifests(path: str | os.PathLike[str]) -> list[ManifestLocation]:
    """The manifests at ``path``: the file itself, ``path/plugin.toml``, or ``path/*/plugin.toml``.

    Raises UsageError when ``path`` does not exist.
    """
    given = Path(path)
    if given.is_file():
        return [ManifestLocation(str(given), given, given.parent)]
    if not given.is_dir():
        raise UsageError(f"{path}: no such file or folder")
    return _scan(given, str(given))
