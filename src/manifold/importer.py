"""A meta-path finder serving each plugin's declared packages from its own folder (not sys.path); unloading.

A plugin's folder (its ``code_root``) is either a folder on disk (``pathlib.Path``) or a folder inside a
zip archive (``zipfile.Path``). From a folder on disk the code is found as the standard ``PathFinder``
finds it (the spec of an ordinary package or module is made directly, the same spec), so specs,
``__file__``, tracebacks and ``inspect.getsource`` show the real files; from a zip archive
``zipimport`` imports the code in place, nothing extracted. Any other ``Traversable`` cannot be imported
from: importing one of its packages raises ``ModuleNotFoundError`` rather than falling back to
``sys.path``.

Plugin code is loaded by ``manifold.bytecode``'s loader: bytecode checked against the hash of its source,
the code cache answering first.

For each top-level package it imports from a folder on disk, the importer keeps what it saw of the
package's folder as it found it (``PackageListing``: the folder's entries and the stamp of its
``__init__.py``, taken before the source was read) until it is taken (``take_listings``, once the
plugin's code is imported) or the plugin is removed, so that the plugin's code stamp is computed from
them rather than by listing the folder again.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import stat
import sys
import threading
import types
import zipimport
from collections.abc import Iterable, Sequence
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import spec_from_file_location
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from manifold._values import value_type
from manifold.bytecode import HashCheckedLoader, init_cached
from manifold.errors import PackageClaimError, UsageError
from manifold.manifest.model import Reference
from manifold.sources.archives import is_archive_folder
from manifold.sources.codecache import CodeCache
from manifold.sources.scan import Stamp, stamp_of

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["PackageClaimError", "PackageListing", "PluginImporter"]


_Kind = Literal["folder", "zip", "installed"]


@value_type
class _Plugin:
    """One added plugin: its packages and where they are imported from."""

    id: str
    packages: frozenset[str]
    root: Traversable
    kind: _Kind | None
    """``None`` for a ``Traversable`` that can be imported from neither with ``PathFinder`` nor zipimport;
    ``"installed"`` for packages of an installed distribution, imported from ``sys.path`` as usual."""
    location: str
    """The path entry the packages are found on: an absolute folder, or ``archive/inner/folder``."""


@value_type
class PackageListing:
    """What the importer saw of a top-level package's folder as it found the package to import it."""

    folder: str
    entries: tuple[os.DirEntry[str], ...]
    """The folder's entries (one ``os.scandir``), in the order the file system gave them."""
    init: Stamp
    """The stamp of ``__init__.py``, taken before its source was read: it describes the code that runs
    (an edit after it changes the file's stamp on disk)."""


def _where(root: Traversable) -> tuple[_Kind | None, str]:
    if isinstance(root, Path):
        folder = os.fspath(root)
        return "folder", folder if os.path.isabs(folder) else os.fspath(root.absolute())
    if is_archive_folder(root) and root.root.filename is not None:
        parts = [part for part in root.at.split("/") if part]
        return "zip", os.path.join(os.path.abspath(root.root.filename), *parts)
    return None, repr(root)


def _refresh_archive(location: str) -> None:
    """Make zipimport read the archive's table of contents again (it caches it for the process)."""
    with contextlib.suppress(zipimport.ZipImportError):  # no archive (yet): importing will say so
        zipimport.zipimporter(location).invalidate_caches()


def _forget_finders(location: str) -> None:
    """Drop the path-entry finders cached for the plugin's folder and the folders below it."""
    below = location.rstrip(os.sep) + os.sep
    for entry in list(sys.path_importer_cache):
        if isinstance(entry, str) and (entry == location or entry.startswith(below)):
            sys.path_importer_cache.pop(entry, None)


def _modules_of(packages: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(name for name in list(sys.modules) if name.partition(".")[0] in packages))


def _adapted(spec: ModuleSpec, code_cache: CodeCache | None) -> ModuleSpec:
    """``spec`` with the hash-checking loader, and a namespace package's path fixed to what was found."""
    loader = spec.loader
    if type(loader) is SourceFileLoader:
        spec.loader = HashCheckedLoader(loader.name, loader.path, code_cache)
    elif loader is None and spec.submodule_search_locations is not None:
        # PathFinder's namespace path recomputes itself from sys.path, where the plugin folder is not.
        spec.submodule_search_locations = list(spec.submodule_search_locations)
    return spec


_EXTENSION_INITS = frozenset(f"__init__{suffix}" for suffix in EXTENSION_SUFFIXES)


def _folder_spec(
    name: str, folder: str, code_cache: CodeCache | None
) -> tuple[ModuleSpec, PackageListing | None] | None:
    """The spec ``PathFinder`` finds for the top-level ``name`` in ``folder``, in the two ordinary cases (a
    package with ``__init__.py``, a ``name.py`` module), made directly, with what was seen of a package's
    folder; None: ask ``PathFinder``.

    ``PathFinder`` would first try every path hook on the folder (zipimport first) and cache a finder
    for it: about 0.1-0.2 ms per plugin. Its order is kept: a package before a module, an extension
    module before source; anything else (a namespace package, bytecode only, an extension) is left to it.
    A package costs one listing of ``folder``, one of the package's folder and one ``stat`` of its
    ``__init__.py``, the stamp the code cache checks and the plugin's code stamp counts.
    """
    try:
        names = os.listdir(folder)  # the exact spelling, as FileFinder compares it
    except OSError:
        return None
    if name in names:
        package = os.path.join(folder, name)
        try:
            with os.scandir(package) as listing:
                entries = tuple(listing)
        except OSError:
            return None
        if any(entry.name in _EXTENSION_INITS for entry in entries):
            return None
        init = os.path.join(package, "__init__.py")
        try:
            found = os.stat(init)  # as FileFinder's isfile: following a link, any spelling the system takes
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(found.st_mode):
            return None
        stamp = stamp_of(found)
        loader = HashCheckedLoader(name, init, code_cache, stamp)
        spec = spec_from_file_location(name, init, loader=loader, submodule_search_locations=[package])
        if spec is None:
            return None
        cached = init_cached(package)
        if cached is not None:
            spec.cached = cached
        return spec, PackageListing(package, entries, stamp)
    if any(f"{name}{suffix}" in names for suffix in EXTENSION_SUFFIXES) or f"{name}.py" not in names:
        return None
    module = os.path.join(folder, f"{name}.py")
    spec = spec_from_file_location(name, module, loader=HashCheckedLoader(name, module, code_cache))
    return (spec, None) if spec is not None else None


class PluginImporter:
    """Serves each added plugin's top-level packages from the plugin's folder, first on ``sys.meta_path``.

    A served name is never looked for anywhere else (not on ``sys.path``); names no plugin declares are
    left to the other finders. ``add`` and ``remove`` are exact mirrors and change the maps under a
    lock; every reader (``find_spec``, ``owner``) makes one lookup, which the interpreter makes atomic,
    so readers take no lock (and adding N plugins costs N updates, not N copies of the map).
    """

    def __init__(self, code_cache: CodeCache | None = None) -> None:
        self._lock = threading.Lock()
        self._served: dict[str, _Plugin] = {}
        self._plugins: dict[str, _Plugin] = {}
        self._listings: dict[str, PackageListing] = {}
        """Per served package found in a folder on disk: its folder as seen then, until taken or removed."""
        self.code_cache = code_cache
        """Where plugin code imported from folders is compiled once (``save`` it after importing)."""

    def __repr__(self) -> str:
        return f"<PluginImporter serving {len(self._served)} packages of {len(self._plugins)} plugins>"

    # -- sys.meta_path ---------------------------------------------------------------------------------

    def install(self) -> None:
        """Put this finder first on ``sys.meta_path`` (again first if it was there further down)."""
        with self._lock:
            if sys.meta_path[:1] != [self]:
                sys.meta_path[:] = [self, *(finder for finder in sys.meta_path if finder is not self)]

    def uninstall(self) -> None:
        """Take this finder off ``sys.meta_path``; imported plugin modules stay imported."""
        with self._lock:
            if any(finder is self for finder in sys.meta_path):
                sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> ModuleSpec | None:
        """The spec of a module in a served package; ``None`` for every other name.

        A served top-level name that is not in its plugin's folder raises ``ModuleNotFoundError`` so
        that no other finder imports something else under the plugin's name.
        """
        top, dot, _ = fullname.partition(".")
        plugin = self._served.get(top)
        if plugin is None or plugin.kind == "installed":
            return None
        if dot:
            # A submodule, found on its parent's __path__ exactly as PathFinder would find it.
            spec = None if path is None else PathFinder.find_spec(fullname, path, target)
            return None if spec is None else _adapted(spec, self.code_cache)
        if plugin.kind == "folder":
            made = _folder_spec(fullname, plugin.location, self.code_cache)
            spec, listing = made if made is not None else (None, None)
            self._keep(plugin, fullname, listing)
            spec = spec or PathFinder.find_spec(fullname, [plugin.location], target)
        elif plugin.kind == "zip":
            try:
                spec = zipimport.zipimporter(plugin.location).find_spec(fullname, target)
            except zipimport.ZipImportError as e:
                raise ModuleNotFoundError(
                    f"No module named {fullname!r} in plugin {plugin.id!r} ({plugin.location}): {e}",
                    name=fullname,
                ) from e
        else:
            raise ModuleNotFoundError(
                f"cannot import {fullname!r} of plugin {plugin.id!r}: its folder {plugin.location} "
                "is neither a folder on disk nor a folder in a zip archive",
                name=fullname,
            )
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} in plugin {plugin.id!r} ({plugin.location})", name=fullname
            )
        return _adapted(spec, self.code_cache)

    def _keep(self, plugin: _Plugin, name: str, listing: PackageListing | None) -> None:
        """Keep ``listing`` as what ``name`` was last found with (None: found otherwise, nothing is kept),
        unless the plugin stopped being served meanwhile (``remove`` in another thread)."""
        with self._lock:
            if self._served.get(name) is not plugin:
                return
            if listing is None:
                self._listings.pop(name, None)
            else:
                self._listings[name] = listing

    # -- plugins ---------------------------------------------------------------------------------------

    def add(self, plugin_id: str, packages: Iterable[str], root: Traversable, *, installed: bool = False) -> None:
        """Serve ``packages`` of ``plugin_id`` from the folder ``root``; all of them, or none (on error).

        ``installed``: the packages belong to the plugin but come from ``sys.path`` (an installed
        distribution's code), and may already be imported. Adding a plugin again with the same
        packages and folder does nothing. Raises
        ``PackageClaimError`` for a package served for another plugin or already imported, and
        ``UsageError`` for a plugin already added otherwise or a name that is not a top-level module name.
        """
        if isinstance(packages, str):
            raise UsageError(f"the packages of plugin {plugin_id!r} must be a list of names, not a string")
        names = tuple(dict.fromkeys(packages))
        for name in names:
            if not name.isidentifier():
                raise UsageError(f"plugin {plugin_id!r}: {name!r} is not a top-level module name")
        kind, location = ("installed", "sys.path") if installed else _where(root)
        plugin = _Plugin(plugin_id, frozenset(names), root, kind, location)
        with self._lock:
            added = self._plugins.get(plugin_id)
            if added is not None:
                if (added.packages, added.kind, added.location) == (plugin.packages, kind, location):
                    return
                raise UsageError(
                    f"plugin {plugin_id!r} is already added with other packages or another folder; remove it first"
                )
            for name in names:
                owner = self._served.get(name)
                if owner is not None:
                    raise PackageClaimError(
                        f"cannot serve package {name!r} for plugin {plugin_id!r}: "
                        f"it is already served for plugin {owner.id!r}",
                        package=name,
                        plugin=plugin_id,
                        owner=owner.id,
                    )
                module = sys.modules.get(name)
                if module is not None and not installed:
                    raise PackageClaimError(
                        f"cannot serve package {name!r} for plugin {plugin_id!r}: {module!r} is already imported",
                        package=name,
                        plugin=plugin_id,
                        owner=None,
                    )
            if kind == "zip":
                _refresh_archive(location)  # the archive may have been rewritten since it was last read
            self._served.update(dict.fromkeys(names, plugin))
            self._plugins[plugin_id] = plugin

    def remove(self, plugin_id: str) -> tuple[str, ...]:
        """Stop serving the plugin's packages and unload them; the names of the unloaded modules, sorted.

        Every module under the plugin's top-level packages leaves ``sys.modules``, so its objects can be
        collected once nothing else refers to them. A plugin that is not added: nothing to do, ``()``.
        """
        with self._lock:
            plugin = self._plugins.get(plugin_id)
            if plugin is None:
                return ()
            for name in plugin.packages:
                del self._served[name]
                self._listings.pop(name, None)
            del self._plugins[plugin_id]
            removed = _modules_of(plugin.packages)
            for name in removed:
                sys.modules.pop(name, None)
            if plugin.kind in ("folder", "zip"):
                _forget_finders(plugin.location)
        importlib.invalidate_caches()
        return removed

    def owner(self, module_name: str) -> str | None:
        """The plugin whose package ``module_name`` is in, or ``None``."""
        plugin = self._served.get(module_name.partition(".")[0])
        return None if plugin is None else plugin.id

    def modules(self, plugin_id: str) -> tuple[str, ...]:
        """The names in ``sys.modules`` under the plugin's packages, sorted."""
        plugin = self._plugins.get(plugin_id)
        return () if plugin is None else _modules_of(plugin.packages)

    def take_listings(self, plugin_id: str) -> dict[str, PackageListing]:
        """What was seen of the folders of the plugin's packages as they were last found, by package name,
        handed out once (the importer keeps no copy): packages found since the plugin was added or its
        listings last taken, in a folder on disk, with an ``__init__.py`` (not a module, a namespace
        package, an archive or an installed distribution's)."""
        taken: dict[str, PackageListing] = {}
        with self._lock:
            plugin = self._plugins.get(plugin_id)
            if plugin is not None:
                for name in plugin.packages:
                    listing = self._listings.pop(name, None)
                    if listing is not None:
                        taken[name] = listing
        return taken

    def load(self, plugin_id: str, ref: Reference) -> Any:
        """Import ``ref.module`` of the plugin and return the object ``ref.qualname`` names in it.

        Raises ``PackageClaimError`` if the module is not in the plugin's packages, ``UsageError`` if
        the importer is not installed; otherwise the import's or ``getattr``'s own exceptions
        (``ImportError``, ``AttributeError``, whatever the plugin's module raised) propagate as they are.
        """
        owner = self.owner(ref.module)
        if owner != plugin_id:
            served = "no plugin" if owner is None else f"plugin {owner!r}"
            raise PackageClaimError(
                f"{ref} is not in the packages of plugin {plugin_id!r} ({ref.top_level!r} is served for {served})",
                package=ref.top_level,
                plugin=plugin_id,
                owner=owner,
            )
        if not any(finder is self for finder in sys.meta_path):
            raise UsageError(f"cannot load {ref} of plugin {plugin_id!r}: the plugin importer is not installed")
        obj: Any = sys.modules.get(ref.module)
        if obj is None or getattr(getattr(obj, "__spec__", None), "_initializing", False):
            obj = importlib.import_module(ref.module)  # not imported yet, or still being imported (it waits)
        for attribute in ref.qualname.split(".") if ref.qualname else ():
            obj = getattr(obj, attribute)
        return obj
