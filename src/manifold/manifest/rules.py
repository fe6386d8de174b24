"""Checks of one manifest that its JSON Schema cannot express: versions, specifiers, markers, code paths.

Every check looks only at values of the right type (the schema reports the others), reads
files but never imports plugin code, and returns problems instead of raising.
"""

from __future__ import annotations

import functools
import importlib.machinery
import os
import pkgutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier
from packaging.version import InvalidVersion, Version

from manifold.manifest._words import show
from manifold.manifest.diagnostics import Problem
from manifold.manifest.embedded import check_schema
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.model import parse_marker, parse_specifier, parse_version

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # importlib.resources imports tempfile, zipfile...

__all__ = ["check_semantics", "has_module", "point_problems"]


_SPECIFIER_KEYS = ("requires-api", "requires-app", "requires-python")


def check_semantics(data: Mapping[str, Any], root: Traversable) -> list[Problem]:
    """Every semantic problem of one manifest's data whose plugin folder is ``root``."""
    plugin = _table(data.get("plugin"))
    problems = list(_plugin_problems(plugin))
    for key in ("dependencies", "optional-dependencies"):
        for name, text in _table(data.get(key)).items():
            problems += _specifier_problems((key, name), text)
    settings = data.get("settings-schema")
    if isinstance(settings, dict):
        problems += _embedded_schema_problems(settings, ("settings-schema",), settings=True)
    problems += point_problems(data.get("extension-points"))
    problems += _extension_problems(data.get("extensions"))
    problems += _code_problems(data, plugin, root)
    return problems


def _table(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _tables(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _plugin_problems(plugin: Mapping[str, Any]) -> Iterator[Problem]:
    version = plugin.get("version")
    if isinstance(version, str):
        try:
            parse_version(version)
        except InvalidVersion:
            yield Problem(
                "version",
                ("plugin", "version"),
                f'plugin.version: {show(version)} is not a valid PEP 440 version (e.g. "1.2.0", "2.0rc1")',
            )
    for key in _SPECIFIER_KEYS:
        yield from _specifier_problems(("plugin", key), plugin.get(key))
    yield from _marker_problems(("plugin", "markers"), plugin.get("markers"))
    requires = plugin.get("requires")
    if isinstance(requires, list) and requires:
        # packaging.requirements (and its markers) only for a manifest that has requires.
        from packaging.requirements import InvalidRequirement, Requirement

        for i, text in enumerate(requires):
            if not isinstance(text, str):
                continue
            try:
                Requirement(text)
            except InvalidRequirement as e:
                path: KeyPath = ("plugin", "requires", i)
                yield Problem(
                    "requirement",
                    path,
                    f"{format_path(path)}: {show(text)} is not a valid PEP 508 requirement "
                    f'(e.g. "requests>=2.31"): {_first_line(e)}',
                )


def _specifier_problems(path: KeyPath, text: Any) -> Iterator[Problem]:
    if not isinstance(text, str):
        return
    try:
        parse_specifier(text)
    except InvalidSpecifier:
        hint = ' (e.g. ">=1.2,<2", or "*" for any version)'
        try:
            Version(text)
            hint = f"; did you mean {show('==' + text.strip())}?"
        except InvalidVersion:
            pass
        yield Problem(
            "specifier",
            path,
            f"{format_path(path)}: {show(text)} is not a valid PEP 440 version specifier{hint}",
        )


def _marker_problems(path: KeyPath, text: Any) -> Iterator[Problem]:
    if not isinstance(text, str):
        return
    from packaging.markers import InvalidMarker  # only for a manifest that has markers

    try:
        parse_marker(text)
    except InvalidMarker as e:
        yield Problem(
            "marker",
            path,
            f"{format_path(path)}: {show(text)} is not a valid PEP 508 environment marker "
            f"(e.g. \"sys_platform == 'linux'\"): {_first_line(e)}",
        )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _embedded_schema_problems(schema: dict[str, Any], path: KeyPath, *, settings: bool) -> list[Problem]:
    if settings and schema.get("type", "object") != "object":
        return [
            Problem(
                "invalid-schema",
                (*path, "type"),
                f"{format_path((*path, 'type'))}: settings are a table, so the type must be "
                f'"object" (or left out), not {show(schema["type"])}',
            )
        ]
    return check_schema(schema, path)


def point_problems(points: Any, table: str = "extension-points") -> Iterator[Problem]:
    """The problems of a list of point declarations (a manifest's ``extension-points``, a host's
    ``host-points``) that the schema cannot express: ids declared twice, config schemas, hook options."""
    seen: dict[str, int] = {}
    for i, point in _tables(points):
        path: KeyPath = (table, i)
        point_id = point.get("id")
        if isinstance(point_id, str):
            if point_id in seen:
                yield Problem(
                    "duplicate-point",
                    (*path, "id"),
                    f"{format_path((*path, 'id'))}: point {show(point_id)} is already declared "
                    f"at {table}[{seen[point_id]}]",
                )
            seen.setdefault(point_id, i)
        config_schema = point.get("config-schema")
        if isinstance(config_schema, dict):
            yield from _embedded_schema_problems(config_schema, (*path, "config-schema"), settings=False)
        if point.get("hook") is not True:
            for key in ("parameters", "firstresult", "timeout"):
                if key in point:
                    yield Problem(
                        "hook-option",
                        (*path, key),
                        f"{format_path((*path, key))}: only hook points take {key!r}; add hook = true or remove it",
                        severity="warning",
                    )


def _extension_problems(extensions: Any) -> Iterator[Problem]:
    seen: dict[tuple[str, str], int] = {}
    for i, ext in _tables(extensions):
        path: KeyPath = ("extensions", i)
        yield from _marker_problems((*path, "markers"), ext.get("markers"))
        point, ext_id = ext.get("point"), ext.get("id")
        if isinstance(point, str) and isinstance(ext_id, str):
            if (point, ext_id) in seen:
                yield Problem(
                    "duplicate-extension",
                    (*path, "id"),
                    f"{format_path((*path, 'id'))}: this plugin already contributes an extension "
                    f"{show(ext_id)} to {show(point)} (extensions[{seen[point, ext_id]}])",
                )
            seen.setdefault((point, ext_id), i)


def _code_problems(data: Mapping[str, Any], plugin: Mapping[str, Any], root: Traversable) -> Iterator[Problem]:
    source_root = plugin.get("source-root", ".")
    if not isinstance(source_root, str):
        return
    if _escapes(source_root):
        yield Problem(
            "path-escape",
            ("plugin", "source-root"),
            f"plugin.source-root: {show(source_root)} leaves the plugin folder; "
            "use a relative path inside it, without ..",
        )
        return
    code_root = root
    for part in _parts(source_root):
        code_root = code_root / part
    packages = plugin.get("packages")
    declared = [p for p in packages if isinstance(p, str)] if isinstance(packages, list) else []
    installed = isinstance(plugin.get("distribution"), str)  # the packages come from sys.path, not the folder
    found: dict[str, bool] = {}  # module -> has a file: the references of a plugin name few modules
    if not _folder_is_dir(code_root, declared, found, installed=installed):
        yield Problem(
            "missing-path",
            ("plugin", "source-root"),
            f"plugin.source-root: folder {show(source_root)} does not exist in the plugin folder",
        )
        return
    if not installed and declared:
        search = _search_path(code_root)
        for i, name in enumerate(declared):
            yield from _package_problems(("plugin", "packages", i), name, code_root, source_root, search, found)
    for path, text in _reference_texts(data):
        yield from _reference_problems(path, text, declared, code_root, source_root, found, installed=installed)


def _folder_is_dir(code_root: Traversable, declared: list[str], found: dict[str, bool], *, installed: bool) -> bool:
    """Whether ``code_root`` is a folder, asked of the first declared package's file where one is due anyway:
    a file found at ``code_root/name/__init__.py`` (or ``name.py``) is in a folder, so the folder's own
    ``stat`` is taken only when it is not found (the answer kept in ``found`` for the references)."""
    if not installed and declared and isinstance(code_root, Path):
        name = declared[0]
        # An identifier, not a standard-library name (those are never looked for in the folder): no "/" or
        # ".." in it, so the file is inside ``code_root`` when it is found.
        if name.isidentifier() and name not in sys.stdlib_module_names and name not in sys.builtin_module_names:
            if name not in found:
                found[name] = has_module(code_root, name)
            if found[name]:
                return True
    return code_root.is_dir()


def _parts(relative: str) -> list[str]:
    return [p for p in relative.replace("\\", "/").split("/") if p not in ("", ".")]


def _escapes(relative: str) -> bool:
    normal = relative.replace("\\", "/")
    return normal.startswith("/") or (len(normal) > 1 and normal[1] == ":") or ".." in normal.split("/")


def _package_problems(
    path: KeyPath,
    name: str,
    code_root: Traversable,
    source_root: str,
    search: tuple[str, ...],
    found: dict[str, bool],
) -> Iterator[Problem]:
    """The problems of one declared package: it shadows a standard-library or an installed module, or it is
    not in the plugin's code folder (``search``: ``_search_path(code_root)``; ``found``: ``has_module``'s
    answers so far, by module)."""
    if name in sys.stdlib_module_names or name in sys.builtin_module_names:
        yield Problem(
            "shadowing",
            path,
            f"{format_path(path)}: {show(name)} would shadow the standard-library module {name}; rename the package",
        )
        return
    spec = importlib.machinery.PathFinder.find_spec(name, list(search)) if name in _module_index(search) else None
    if spec is not None:
        origin = spec.origin or (list(spec.submodule_search_locations or [])[:1] or ["?"])[0]
        distributions = _distributions_of(name)
        advice = (
            f"if this plugin is that installed code, set plugin.distribution = {show(distributions[0])}; "
            "else rename the package"
            if distributions
            else "rename the package"
        )
        yield Problem(
            "shadowing",
            path,
            f"{format_path(path)}: {show(name)} would shadow the installed module {name} ({origin}); {advice}",
        )
        return
    if name.isidentifier() and found.get(
        name
    ):  # has_module: name/__init__.py or name.py is a file, so the package is there
        return
    if not _is_dir(code_root, name) and not _is_file(code_root, f"{name}.py"):
        folder = "the plugin folder" if not _parts(source_root) else show(source_root)
        yield Problem(
            "missing-package",
            path,
            f"{format_path(path)}: no package {name}/ or module {name}.py in {folder}",
        )


def _search_path(code_root: Traversable) -> tuple[str, ...]:
    """``sys.path`` without the plugin's own code folder: under ``python -m pytest`` run in the plugin's
    folder, that folder is on ``sys.path``, and its package is the plugin's own, not a shadowed module."""
    path = tuple(sys.path)
    if not isinstance(code_root, os.PathLike):
        return path
    own = os.path.abspath(code_root)  # string work only: this runs once per package of every manifest
    if own not in _absolute(path, os.getcwd()):
        return path
    return tuple(entry for entry in path if os.path.abspath(entry or os.curdir) != own)


@functools.lru_cache(maxsize=4)
def _absolute(path: tuple[str, ...], cwd: str) -> frozenset[str]:
    """The entries of ``path`` as absolute paths (``""`` is ``cwd``)."""
    return frozenset(os.path.abspath(os.path.join(cwd, entry)) for entry in path)


def _distributions_of(module: str) -> list[str]:
    """The installed distributions that ship the top-level ``module`` (read only for a shadowing error)."""
    import importlib.metadata

    return sorted(importlib.metadata.packages_distributions().get(module, []))


@functools.lru_cache(maxsize=4)
def _module_index(path: tuple[str, ...]) -> _ModuleIndex:
    """The top-level modules importable from ``path``, asked about one name at a time."""
    return _ModuleIndex(path)


class _ModuleIndex:
    """Whether ``pkgutil.iter_modules(path)`` lists a top-level module, answered from one listing per
    folder of ``path`` (``iter_modules`` also lists every sub-folder to tell packages from other
    folders, and names every file: ~2,000 ``stat``s and names for a plain virtual environment).

    A folder's module ``name`` is, as ``pkgutil`` reads it, an entry ``name`` + a module suffix
    (``.py``, ``.pyc``, an extension suffix: ``inspect.getmodulename``), or a sub-folder ``name``
    holding an ``__init__`` + suffix. A path entry that is not a folder (a zip file, a custom
    importer) is listed by ``pkgutil`` itself.
    """

    def __init__(self, path: tuple[str, ...]) -> None:
        self._importers = [pkgutil.get_importer(entry) for entry in path]
        self._suffixes = tuple(importlib.machinery.all_suffixes())
        self._listings: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._others: dict[int, frozenset[str]] = {}
        self._answers: dict[str, bool] = {}

    def __contains__(self, name: str) -> bool:
        found = self._answers.get(name)
        if found is None:
            found = self._answers[name] = self._find(name)
        return found

    def _find(self, name: str) -> bool:
        if not name or name == "__init__" or "." in name:
            return False  # never listed (and not a package name)
        for i, importer in enumerate(self._importers):
            if isinstance(importer, importlib.machinery.FileFinder):
                if self._in_folder(name, importer.path):
                    return True
            else:
                if i not in self._others:
                    self._others[i] = frozenset(n for n, _ in pkgutil.iter_importer_modules(importer))  # type: ignore[attr-defined]
                if name in self._others[i]:
                    return True
        return False

    def _in_folder(self, name: str, folder: str | None) -> bool:
        if folder is None:
            return False
        listed = self._listings.get(folder)
        if listed is None:
            listed = self._listings[folder] = self._listing(folder)
        names, modules = listed
        if name in modules:  # an entry name + a module suffix
            return True
        if name not in names or not os.path.isdir(os.path.join(folder, name)):
            return False
        inside = _listing(os.path.join(folder, name))
        return any("__init__" + suffix in inside for suffix in self._suffixes)

    def _listing(self, folder: str) -> tuple[frozenset[str], frozenset[str]]:
        """The entries of ``folder``, and the names they are modules of (each entry that ends with a module
        suffix, without it): ``name + suffix`` is an entry exactly when ``name`` is in the second set."""
        names = frozenset(_listing(folder) if os.path.isdir(folder) else ())
        modules = frozenset(
            entry[: -len(suffix)] for entry in names for suffix in self._suffixes if entry.endswith(suffix)
        )
        return names, modules


def _listing(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # unreadable: nothing in it, as for import
        return []


def _reference_texts(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    plugin_class = _table(data.get("plugin")).get("class")
    if isinstance(plugin_class, str):
        yield ("plugin", "class"), plugin_class
    for i, point in _tables(data.get("extension-points")):
        if isinstance(point.get("interface"), str):
            yield ("extension-points", i, "interface"), point["interface"]
    for i, ext in _tables(data.get("extensions")):
        if isinstance(ext.get("ref"), str):
            yield ("extensions", i, "ref"), ext["ref"]


def _reference_problems(
    path: KeyPath,
    text: str,
    declared: list[str],
    code_root: Traversable,
    source_root: str,
    found: dict[str, bool],
    *,
    installed: bool,
) -> Iterator[Problem]:
    module, colon, qualname = text.partition(":")  # Reference.parse's parts, without the value
    module_alone = not colon and path[0] == "extensions"  # an extension's ref may name a module
    if not module_alone and (not module or not qualname or ":" in qualname):
        return  # the schema's pattern reports the syntax
    top_level = module.partition(".")[0]
    if top_level not in declared:
        listed = f"plugin.packages is {show(declared)}" if declared else "plugin.packages is empty"
        yield Problem(
            "reference",
            path,
            f"{format_path(path)}: module {module} is not in this plugin's packages ({listed}); "
            f"add {show(top_level)} to plugin.packages or fix the reference",
        )
        return
    if installed:
        return  # imported from the installed distribution: nothing to find in the folder
    if module not in found:
        found[module] = has_module(code_root, module)
    if not found[module]:
        relative = module.replace(".", "/")
        folder = "the plugin folder" if not _parts(source_root) else show(source_root)
        yield Problem(
            "missing-module",
            path,
            f"{format_path(path)}: module {module} not found: no {relative}.py or {relative}/__init__.py in {folder}",
        )


def has_module(code_root: Traversable, module: str) -> bool:
    """Whether ``module`` has a source file under ``code_root`` (``a/b.py`` or ``a/b/__init__.py``)."""
    relative = module.split(".")
    if len(relative) == 1:  # a top-level module is mostly a package (one probe where the file would take two)
        return _is_file(code_root, *relative, "__init__.py") or _is_file(code_root, f"{module}.py")
    return _is_file(code_root, *relative[:-1], f"{relative[-1]}.py") or _is_file(code_root, *relative, "__init__.py")


def _is_file(base: Traversable, *parts: str) -> bool:
    if isinstance(base, Path):  # the common case, without building a Path per step
        return os.path.isfile(os.path.join(base, *parts))
    return base.joinpath(*parts).is_file()


def _is_dir(base: Traversable, *parts: str) -> bool:
    if isinstance(base, Path):
        return os.path.isdir(os.path.join(base, *parts))
    return base.joinpath(*parts).is_dir()
