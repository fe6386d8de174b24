"""Where plugins come from: drop-in folders, plugin and bundle folders, archives, folders inside installed packages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from manifold._values import replace, value_type
from manifold.errors import SourceError, UsageError
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits
from manifold.sources.archives import DEFAULT_LIMITS, ArchiveLimits, is_archive_name
from manifold.sources.scan import ManifestLocation, reason, scan, scan_archive

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# importlib.resources (with tempfile, shutil...) and manifold.manifest.parsed (a Traversable) are imported where
# a package source, a bundle or an archive needs them: folders of plugins do without (~7 ms at start-up).

__all__ = [
    "ArchiveSource",
    "FolderSource",
    "PackageSource",
    "Source",
    "SourceError",
    "anchored",
    "as_source",
]

PACKAGE_SCHEME = "pkg://"


@runtime_checkable
class Source(Protocol):
    """An ordered place plugins come from; earlier sources win over later ones for the same id."""

    @property
    def name(self) -> str: ...

    def manifests(self) -> list[ManifestLocation]:
        """The manifests in this source, in a stable order; raises SourceError when unreadable."""
        ...


@value_type
class FolderSource:
    """A plugin folder (it holds ``plugin.toml``), a bundle folder (``bundle.toml``) or a drop-in folder.

    A drop-in folder holds plugin folders, bundle folders and archives side by side; ``limits``
    apply to its archives.
    """

    path: Path
    limits: ArchiveLimits = DEFAULT_LIMITS
    label: str | None = None
    """The name in messages when it is not ``path`` (a relative path made absolute by ``anchored``)."""
    manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS
    """The limits on the bundle manifests read while scanning (``plugin.toml`` files are read later)."""

    @property
    def name(self) -> str:
        return str(self.path) if self.label is None else self.label

    def manifests(self) -> list[ManifestLocation]:
        if not _is_dir(self.path, self.name):
            raise SourceError(f"{self.name}: no such folder")
        return scan(self.path, self.name, self.limits, self.manifest_limits)


@value_type
class ArchiveSource:
    """A plugin archive (``.mfz`` or ``.zip``), read in place once its checks pass (see ``sources.archives``)."""

    path: Path
    limits: ArchiveLimits = DEFAULT_LIMITS
    label: str | None = None
    """The name in messages when it is not ``path`` (a relative path made absolute by ``anchored``)."""
    manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS

    @property
    def name(self) -> str:
        return str(self.path) if self.label is None else self.label

    def manifests(self) -> list[ManifestLocation]:
        try:
            is_file = self.path.is_file()
        except OSError as e:
            raise SourceError(f"{self.name}: cannot read the archive: {reason(e)}") from e
        if not is_file:
            raise SourceError(f"{self.name}: no such archive")
        return scan_archive(self.path, self.name, self.limits, self.manifest_limits)


@value_type
class PackageSource:
    """``pkg://package/sub/folder``: a plugin or drop-in folder shipped inside an installed package.

    Read through importlib resources, so a package installed as a zip works too. Importing
    ``package`` itself (the host's package, not plugin code) is needed to find its files.
    """

    package: str
    folder: str = ""
    limits: ArchiveLimits = DEFAULT_LIMITS
    manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS

    @property
    def name(self) -> str:
        return f"{PACKAGE_SCHEME}{self.package}/{self.folder}".rstrip("/")

    def manifests(self) -> list[ManifestLocation]:
        from importlib.resources import files

        try:
            root = files(self.package)
        except (ImportError, TypeError) as e:
            raise SourceError(f"{self.name}: package {self.package!r} cannot be found: {e}") from e
        for part in self.folder.split("/"):
            if part:
                root = root.joinpath(part)
        if not _is_dir(root, self.name):
            raise SourceError(f"{self.name}: no such folder in package {self.package}")
        return scan(root, self.name, self.limits, self.manifest_limits)


def as_source(
    spec: str | os.PathLike[str] | Source, *, manifest_limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS
) -> Source:
    """A source from a path (a folder or an archive), a ``pkg://package/folder`` string, or a Source itself
    (which keeps its own limits); ``manifest_limits`` apply to the bundle manifests read while scanning."""
    # A path, the usual case, is told apart first: on Python 3.12 an isinstance check against a protocol
    # imports inspect (with ast and dis), which a host's start otherwise never needs.
    if not isinstance(spec, str | Path) and isinstance(spec, Source):
        return spec
    text = os.fspath(spec)
    if text.startswith(PACKAGE_SCHEME):
        package, _, folder = text[len(PACKAGE_SCHEME) :].partition("/")
        if not package:
            raise UsageError(f"{text}: write pkg://package/folder")
        return PackageSource(package, folder.strip("/"), manifest_limits=manifest_limits)
    path = Path(text)
    if is_archive_name(path.name) and not path.is_dir():
        return ArchiveSource(path, manifest_limits=manifest_limits)
    return FolderSource(path, manifest_limits=manifest_limits)


def anchored(source: Source) -> Source:
    """``source`` with a relative path made absolute against the current folder, its name unchanged: a
    later ``os.chdir()`` (a plugin's) does not move it."""
    if isinstance(source, FolderSource | ArchiveSource) and not source.path.is_absolute():
        return replace(source, path=source.path.absolute(), label=source.name)
    return source


def _is_dir(folder: Traversable, name: str) -> bool:
    """Whether ``folder`` is a folder; raises SourceError when that cannot be told (no permission)."""
    try:
        return folder.is_dir()
    except OSError as e:
        raise SourceError(f"{name}: cannot read the folder: {reason(e)}") from e
