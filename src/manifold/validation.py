"""Static validation of manifests: read each, check each, check them together; never import plugin code."""

from __future__ import annotations

import os
from collections.abc import Iterable

from manifold.codescan import scan_code
from manifold.consistency import check_consistency
from manifold.diagnostics import Diagnostic, Report, sort_diagnostics
from manifold.errors import ManifestError
from manifold.manifest import Manifest
from manifold.parse import ParsedFile, parse_manifest
from manifold.sources import find_manifests

__all__ = ["load_manifest", "validate"]


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read one manifest (a file, or a plugin folder holding ``plugin.toml``) and return its value.

    Raises ManifestError, with every diagnostic, when the manifest is not valid; UsageError when
    ``path`` does not exist. Checks of other plugins and of code are left to ``validate``.
    """
    locations = find_manifests(path)
    if len(locations) != 1:
        raise ManifestError(str(path), (Diagnostic("error", "no-manifest", "no plugin.toml here", str(path)),))
    location = locations[0]
    parsed = parse_manifest(location.source, file=location.file, root=location.root)
    if parsed.manifest is None:
        raise ManifestError(location.file, parsed.diagnostics)
    return parsed.manifest


def validate(paths: Iterable[str | os.PathLike[str]], *, check_code: bool = True, strict: bool = False) -> Report:
    """Validate every manifest at ``paths`` (manifest and bundle files, archives, plugin and bundle folders,
    drop-in folders) together.

    Returns a Report of every problem found, not only the first; raises UsageError when a path
    does not exist. ``check_code=False`` skips reading the plugins' Python files. ``strict`` makes
    a dependency that is in none of the paths an error (else a warning: it may be in another source).
    """
    parsed: list[ParsedFile] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for path in paths:
        locations = find_manifests(path)
        if not locations:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "no-manifests",
                    "no plugin.toml in this folder or its sub-folders",
                    str(path),
                )
            )
        for location in locations:
            key = os.path.realpath(str(location.source))
            if key in seen:
                continue
            seen.add(key)
            parsed.append(parse_manifest(location.source, file=location.file, root=location.root))
    for item in parsed:
        diagnostics += item.diagnostics
    diagnostics += check_consistency(parsed, strict=strict)
    if check_code:
        diagnostics += scan_code(parsed)
    manifest_files = {p.file for p in parsed}
    errors = [d for d in diagnostics if d.severity == "error"]
    # An error in a manifest file fails the plugin it names (a bundle file names many), or all of them.
    failed = {(d.file, d.plugin) for d in errors if d.file in manifest_files}
    failed_code = {d.plugin for d in errors if d.file not in manifest_files}
    manifests = tuple(
        p.manifest
        for p in parsed
        if p.manifest is not None
        and not {(p.file, p.plugin_id), (p.file, None)} & failed
        and p.plugin_id not in failed_code
    )
    return Report(sort_diagnostics(diagnostics, [p.file for p in parsed]), manifests)
