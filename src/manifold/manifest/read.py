"""Read one manifest file: decode, parse the TOML, validate it, and build the Manifest value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from manifold.manifest._words import show
from manifold.manifest.diagnostics import Problem, capped, internal_error, place
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits
from manifold.manifest.model import MANIFEST_VERSIONS
from manifold.manifest.parsed import ParsedFile
from manifold.manifest.rules import check_semantics
from manifold.manifest.schema import schema_problems
from manifold.manifest.toml import read_toml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # importlib.resources imports tempfile, zipfile...

__all__ = ["check_manifest_version", "check_plugin_data", "parse_manifest"]


def check_plugin_data(data: Mapping[str, Any], root: Traversable) -> list[Problem]:
    """Every problem of one plugin's manifest data (the ``plugin.toml`` shape) whose folder is ``root``."""
    problems = check_manifest_version(data)
    if not problems:
        semantic = check_semantics(data, root)
        # Where a semantic check speaks of a key, its words are more precise than the schema's pattern.
        covered = {p.path for p in semantic}
        problems = [p for p in schema_problems("plugin", data) if p.path not in covered] + semantic
    return problems


def parse_manifest(
    source: Traversable,
    *,
    file: str,
    root: Traversable,
    limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
    build: bool = True,
) -> ParsedFile:
    """Read and validate the manifest at ``source`` (named ``file`` in messages) of the plugin in ``root``,
    and, with ``build``, its ``Manifest`` when it has no errors (``ParsedFile.from_wire`` builds it in the
    process that asked, for one read in another).

    Never raises: a failure inside manifold is an ``internal-error`` diagnostic of this file alone.
    """
    try:
        return _parse(source, file=file, root=root, limits=limits, build=build)
    except Exception as e:
        return ParsedFile(file, root, (internal_error(e, file),))


def _parse(source: Traversable, *, file: str, root: Traversable, limits: ManifestLimits, build: bool) -> ParsedFile:
    read = read_toml(source, file=file, limits=limits)
    if read.data is None:
        assert read.error is not None
        return ParsedFile(file, root, (read.error,), text=read.text)
    text, data = read.text, read.data
    problems = check_plugin_data(data, root)
    plugin_id = _plugin_id(data)
    diagnostics = capped(place(problems, file=file, text=text, plugin=plugin_id), limits.max_diagnostics)
    return ParsedFile.checked(file, root, diagnostics, text, data, plugin_id, build=build)


def check_manifest_version(data: Mapping[str, Any]) -> list[Problem]:
    """A problem when the file's ``manifest-version`` is not one this manifold reads (a plugin's or a bundle's)."""
    version = data.get("manifest-version", 1)
    if type(version) is int and version in MANIFEST_VERSIONS:
        return []
    readable = ", ".join(str(v) for v in MANIFEST_VERSIONS)
    return [
        Problem(
            "manifest-version",
            ("manifest-version",),
            f"manifest-version: {show(version)} is not a manifest version this manifold reads "
            f"(it reads version {readable}); upgrade manifold or write the manifest for version {readable}",
        )
    ]


def _plugin_id(data: Mapping[str, Any]) -> str | None:
    plugin = data.get("plugin")
    plugin_id = plugin.get("id") if isinstance(plugin, dict) else None
    return plugin_id if isinstance(plugin_id, str) and plugin_id else None
