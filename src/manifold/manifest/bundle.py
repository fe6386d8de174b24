"""Bundle manifests: one ``bundle.toml`` declaring many plugins, each of which is an ordinary plugin afterwards.

A member of ``[[plugins]]`` is either written out in full (the keys of ``plugin.toml``'s ``[plugin]``
table and its other tables side by side, plus ``path``, its code folder) or just a ``path`` to a
folder holding its own ``plugin.toml``. A full member is checked exactly like a ``plugin.toml``: its
table is turned into the ``plugin.toml`` shape and checked against the plugin schema and rules,
then every problem is moved under ``plugins[i]`` and placed at its line in the bundle file.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from manifold._values import replace
from manifold.codes import DiagnosticCode
from manifold.manifest._words import did_you_mean, show, toml_type
from manifold.manifest.diagnostics import Problem, capped, internal_error, place
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits, read_bounded
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.model import Manifest
from manifold.manifest.names import BUNDLE_NAME, MANIFEST_NAME
from manifold.manifest.parsed import ParsedFile
from manifold.manifest.read import (
    check_manifest_version,
    check_plugin_data,
    parse_manifest,
)
from manifold.manifest.rules import check_semantics
from manifold.manifest.schema import load_schema, schema_problems
from manifold.manifest.toml import read_toml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # importlib.resources imports tempfile, zipfile...

__all__ = ["BUNDLE_NAME", "INHERITED_KEYS", "is_bundle_file", "read_bundle"]

INHERITED_KEYS = ("requires-api", "requires-app", "target")
"""Keys of ``[bundle]`` that every member gets unless it sets its own."""

_BUNDLE_HEADER = re.compile(r"^[ \t]*\[[ \t]*bundle[ \t]*\][ \t]*(#.*)?$", re.MULTILINE)
_FOLDER_CODES: frozenset[DiagnosticCode] = frozenset({"missing-path", "missing-package", "missing-module"})
"""Codes of problems about files in the plugin folder: moot when the member's folder itself is wrong."""


def is_bundle_file(path: Path, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS) -> bool:
    """Whether the TOML file at ``path`` is a bundle manifest: named ``bundle.toml``, or holding ``[bundle]``."""
    if path.name == BUNDLE_NAME:
        return True
    if path.suffix != ".toml":
        return False
    try:
        with path.open("rb") as stream:
            raw = read_bounded(stream, limits.max_size)
        if len(raw) > limits.max_size:
            return False  # read again as a plugin manifest, which reports the limit
        return _BUNDLE_HEADER.search(raw.decode("utf-8-sig")) is not None
    except (OSError, UnicodeDecodeError):
        return False  # read again as a plugin manifest, which reports why it cannot be read


def read_bundle(
    source: Traversable,
    *,
    file: str,
    folder: Traversable,
    folder_name: str,
    limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
) -> list[tuple[str, ParsedFile]]:
    """The members of the bundle manifest ``source`` (named ``file``) in ``folder`` (named ``folder_name``).

    One ``(key, ParsedFile)`` per member, in order; ``key`` names the member uniquely (its own
    ``plugin.toml``, or ``file#plugins[i]``). When the bundle itself is broken (not TOML, a wrong
    ``[bundle]`` table, a member that is not a table), there is a single ParsedFile for the whole
    file, without a plugin id, holding every problem of the bundle and of its members.
    """
    read = read_toml(source, file=file)
    if read.data is None:
        assert read.error is not None
        return [(file, ParsedFile(file, folder, (read.error,), text=read.text))]
    text, data = read.text, read.data
    problems = _bundle_problems(data, folder)
    bundle = data.get("bundle")
    defaults = {}
    if not any(p.severity == "error" for p in problems) and isinstance(bundle, dict):
        defaults = {key: bundle[key] for key in INHERITED_KEYS if key in bundle}
    members = data.get("plugins")
    read_members = [
        _guarded_member(
            i, member, defaults, file=file, text=text, folder=folder, folder_name=folder_name, limits=limits
        )
        for i, member in enumerate(members if isinstance(members, list) else [])
        if isinstance(member, dict)
    ]
    diagnostics = place(problems, file=file, text=text, plugin=None)
    if any(d.severity == "error" for d in diagnostics):
        everything = (*diagnostics, *(d for _, parsed in read_members for d in parsed.diagnostics))
        return [(file, ParsedFile(file, folder, capped(everything, limits.max_diagnostics), text=text, data=data))]
    return read_members


def _bundle_problems(data: Mapping[str, Any], folder: Traversable) -> list[Problem]:
    """Problems of the file outside the members' tables (the members check their own)."""
    problems = check_manifest_version(data)
    if problems:
        return problems
    bundle = data.get("bundle")
    semantic: list[Problem] = []
    if isinstance(bundle, dict):
        # [bundle]'s version and specifiers follow the rules of [plugin]'s: check them as those.
        shape = {"plugin": {k: bundle[k] for k in ("version", "requires-api", "requires-app") if k in bundle}}
        moved = functools.partial(_moved, to=("bundle",))
        semantic = [moved(p) for p in check_semantics(shape, folder) if p.path[:1] == ("plugin",)]
    covered = {p.path for p in semantic}
    schema = [p for p in schema_problems("bundle", data) if not _in_member(p.path) and p.path not in covered]
    return schema + semantic


def _in_member(path: KeyPath) -> bool:
    return len(path) > 2 and path[0] == "plugins" and isinstance(path[1], int)


@functools.cache
def _member_keys() -> tuple[frozenset[str], frozenset[str]]:
    """The keys of ``[plugin]``, and the other tables of ``plugin.toml``, that a member holds side by side."""
    schema = load_schema("plugin")
    table = frozenset(schema["definitions"]["plugin"]["properties"])
    others = frozenset(schema["properties"]) - {"plugin", "manifest-version"}
    return table, others


def _ordered(*keys: frozenset[str]) -> list[str]:
    """The member's keys in the order of the plugin schema (as in ``plugin.toml``)."""
    schema = load_schema("plugin")
    order = [*schema["definitions"]["plugin"]["properties"], *schema["properties"]]
    return [key for key in order if any(key in group for group in keys)]


def _guarded_member(
    index: int,
    member: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    file: str,
    text: str | None,
    folder: Traversable,
    folder_name: str,
    limits: ManifestLimits,
) -> tuple[str, ParsedFile]:
    """One member read, its diagnostics cut at the limit; a failure inside manifold is this member's alone."""
    try:
        key, parsed = _member(
            index, member, defaults, file=file, text=text, folder=folder, folder_name=folder_name, limits=limits
        )
    except Exception as e:
        key = f"{file}#{format_path(('plugins', index))}"
        named = member.get("id")
        plugin_id = named if isinstance(named, str) and named else None
        diagnostic = internal_error(e, file, plugin=plugin_id)
        return key, ParsedFile(file, folder, (diagnostic,), text=text, plugin_id=plugin_id, folder=folder_name)
    if len(parsed.diagnostics) > limits.max_diagnostics:
        parsed = replace(parsed, diagnostics=capped(parsed.diagnostics, limits.max_diagnostics))
    return key, parsed


def _member(
    index: int,
    member: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    file: str,
    text: str | None,
    folder: Traversable,
    folder_name: str,
    limits: ManifestLimits,
) -> tuple[str, ParsedFile]:
    prefix: KeyPath = ("plugins", index)
    key = f"{file}#{format_path(prefix)}"
    problems, root, name = _member_folder(prefix, member.get("path", None), "path" in member, folder, folder_name)
    if set(member) <= {"path"}:  # a folder holding its own plugin.toml
        manifest = root.joinpath(MANIFEST_NAME) if root is not None else None
        if root is not None and manifest is not None and manifest.is_file():
            own_file = posixpath.join(name, MANIFEST_NAME)
            return own_file, _inherit(parse_manifest(manifest, file=own_file, root=root, limits=limits), defaults)
        if not problems:
            where = format_path((*prefix, "path"))
            problems.append(
                Problem(
                    "missing-path",
                    (*prefix, "path"),
                    f"{where}: folder {show(member['path'])} holds no {MANIFEST_NAME}; add one there, "
                    "or write the member's keys (id, version, ...) in this table",
                )
            )
        placed = tuple(place(problems, file=file, text=text, plugin=None))
        return key, ParsedFile(file, root or folder, placed, text=text, folder=name)
    table_keys, other_keys = _member_keys()
    for unknown in (k for k in member if k not in table_keys and k not in other_keys and k != "path"):
        path = (*prefix, unknown)
        known = ["path", *_ordered(table_keys, other_keys)]
        hint = did_you_mean(unknown, known) or f"; known keys: {', '.join(known)}"
        problems.append(Problem("unknown-key", path, f"{format_path(path)}: unknown key{hint}"))
    data: dict[str, Any] = {"plugin": {k: v for k, v in member.items() if k in table_keys}}
    for inherited, value in defaults.items():
        data["plugin"].setdefault(inherited, value)
    data.update((k, v) for k, v in member.items() if k in other_keys)
    relocate = functools.partial(_moved, to=prefix)
    found = check_plugin_data(data, root or folder)
    if root is None or not root.is_dir():  # plugins[i].path says what is wrong with the folder
        found = [p for p in found if p.code not in _FOLDER_CODES]
    plugin_id = data["plugin"].get("id")
    plugin_id = plugin_id if isinstance(plugin_id, str) and plugin_id else None
    diagnostics = tuple(place([*problems, *map(relocate, found)], file=file, text=text, plugin=plugin_id))
    value = None
    if root is not None and not any(d.severity == "error" for d in diagnostics):
        value = Manifest.from_data(data, file=file, root=root)
    return key, ParsedFile(file, root or folder, diagnostics, value, text, data, plugin_id, name, relocate)


def _member_folder(
    prefix: KeyPath, value: Any, given: bool, folder: Traversable, folder_name: str
) -> tuple[list[Problem], Traversable | None, str]:
    """Problems with a member's ``path``, the member's folder (``None`` if unusable), and its name."""
    path = (*prefix, "path")
    where = format_path(path)
    if not given:
        return [Problem("missing-key", path, f"{where}: required key is missing")], None, folder_name
    if not isinstance(value, str):
        message = f"{where}: expected a string, got {toml_type(value)}"
        if not isinstance(value, dict | list):
            message += f" ({show(value)})"
        return [Problem("schema", path, message)], None, folder_name
    normal = value.replace("\\", "/")
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":") or ".." in parts:
        message = f"{where}: {show(value)} leaves the bundle's folder; use a relative path inside it, without .."
        return [Problem("path-escape", path, message)], None, folder_name
    root = folder
    for part in parts:
        root = root / part
    name = posixpath.join(folder_name, *parts) if parts else folder_name
    if not root.is_dir():
        message = f"{where}: folder {show(value)} does not exist next to the bundle manifest"
        return [Problem("missing-path", path, message)], root, name
    return [], root, name


def _moved(problem: Problem, *, to: KeyPath) -> Problem:
    """``problem`` found in ``plugin.toml``-shaped data, moved under ``to`` (``[plugin]``'s keys flattened)."""
    path = problem.path[1:] if problem.path[:1] == ("plugin",) else problem.path
    new = (*to, *path)
    message = problem.message
    old = format_path(problem.path) or "the manifest"
    if message.startswith(old):
        message = format_path(new) + message[len(old) :]
    # The rules' words name plugin.toml's keys; in a bundle, the member's keys are under ``to``.
    message = message.replace("plugin.packages", format_path((*to, "packages")))
    return Problem(problem.code, new, message, problem.severity)


def _inherit(parsed: ParsedFile, defaults: Mapping[str, Any]) -> ParsedFile:
    """A member read from its own ``plugin.toml``, with the bundle's defaults for the keys it leaves out."""
    if parsed.manifest is None or parsed.data is None or not defaults:
        return parsed
    table = parsed.data.get("plugin", {})
    missing = {k: v for k, v in defaults.items() if k not in table}
    if not missing:
        return parsed
    data = {**parsed.data, "plugin": {**table, **missing}}
    manifest = Manifest.from_data(data, file=parsed.file, root=parsed.root)
    return replace(parsed, data=data, manifest=manifest)
