"""Static validation of manifests: read each, check each, check them together; never import plugin code."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from manifold._values import field, value_type
from manifold.errors import ManifestError, SourceError
from manifold.graph.rules import check_set, invalid_reason
from manifold.manifest._words import show
from manifold.manifest.codescan import CodeScan, scan_plugin, undeclared_imports
from manifold.manifest.diagnostics import Diagnostic, Problem, capped, internal_error, sort_diagnostics
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits
from manifold.manifest.model import ExtensionPoint, Manifest
from manifold.manifest.parsed import ParsedFile
from manifold.sources.gcpause import paused
from manifold.sources.scan import ManifestLocation, find_manifests, map_manifests

__all__ = ["Report", "load_manifest", "validate"]


@value_type
class Report:
    """What a validation run found: every diagnostic, and the manifests that are valid."""

    diagnostics: tuple[Diagnostic, ...] = ()
    manifests: tuple[Manifest, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error (warnings are allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    def codes(self) -> list[str]:
        """The codes of all diagnostics, in order (handy in tests and scripts)."""
        return [d.code for d in self.diagnostics]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "diagnostics": [d.to_dict() for d in self.diagnostics]}

    def to_json(self, *, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def summary(self) -> str:
        n_err, n_warn = len(self.errors), len(self.warnings)
        plugins = len(self.manifests)
        return f"{_count(n_err, 'error')}, {_count(n_warn, 'warning')}; {_count(plugins, 'valid manifest')}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def load_manifest(path: str | os.PathLike[str], *, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS) -> Manifest:
    """Read one manifest (a file, or a plugin folder holding ``plugin.toml``) and return its value.

    Raises ManifestError, with every diagnostic, when the manifest is not valid; UsageError when
    ``path`` does not exist. Checks of other plugins and of code are left to ``validate``.
    """
    locations = find_manifests(path, manifest_limits=limits)
    if len(locations) != 1:
        raise ManifestError(str(path), (Diagnostic("error", "no-manifests", "no plugin.toml here", str(path)),))
    location = locations[0]
    parsed = location.read(limits)
    if parsed.manifest is None:
        raise ManifestError(location.file, parsed.diagnostics)
    return parsed.manifest


def validate(
    paths: Iterable[str | os.PathLike[str]],
    *,
    check_code: bool = True,
    strict: bool = False,
    jobs: int | None = None,
    limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
    host_points: Iterable[ExtensionPoint] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Validate every manifest at ``paths`` (manifest and bundle files, archives, plugin and bundle folders,
    drop-in folders) together.

    Returns a Report of every problem found, not only the first; raises UsageError when a path
    does not exist. ``check_code=False`` skips reading the plugins' Python files. ``strict`` makes
    a dependency that is in none of the paths an error (else a warning: it may be in another source).
    ``jobs`` is how many processes read and check the files (``None``: one per usable CPU when
    there are hundreds of files; 1: this process only); the report is the same whatever it is.
    ``limits`` bound each manifest file (size, nesting, diagnostics reported); a file beyond one, a
    folder that cannot be read, or a failure inside manifold is a diagnostic of that file or folder,
    and the others are validated as usual. ``host_points`` are the points the host declares in code
    (``load_config(...).host_points``, from ``[[host-points]]``): contributions to them are checked
    like contributions to a manifest's points, and a manifest that declares one is a ``duplicate-point``.
    ``progress``, when given, is called with ``(done, total)`` manifests read and checked, in this process
    only, the last call ``(total, total)`` (none when there is nothing to read); with forked workers
    (``jobs``), ``done`` counts the files checked here and those whose results have come back from a worker.
    """
    declared = tuple(host_points)
    locations: list[ManifestLocation] = []
    diagnostics: list[Diagnostic] = []
    seen: set[object] = set()
    for path in paths:
        try:
            found = find_manifests(path, manifest_limits=limits)
        except SourceError as e:
            name = str(Path(path))
            message = str(e).removeprefix(f"{name}: ")
            diagnostics.append(Diagnostic("error", "read-error", message, name))
            continue
        if not found:  # with strict, nothing to check is an error: a CI job pointed at the wrong folder fails
            diagnostics.append(
                Diagnostic(
                    "error" if strict else "warning",
                    "no-manifests",
                    "no plugin.toml in this folder or its sub-folders",
                    str(path),
                )
            )
        for location in found:
            key = _identity(location)
            if key in seen:
                continue
            seen.add(key)
            locations.append(location)
    # Validation builds long-lived objects only and runs no plugin code; what it built leaves the youngest
    # generation at the end, so that the next collection does not walk it (see manifold.sources.gcpause).
    with paused(long_lived=True):
        checked = _check_files(locations, check_code=check_code, jobs=jobs, limits=limits, progress=progress)
    parsed = [item for item, _ in checked]
    for item, scan in checked:
        diagnostics += item.diagnostics
        diagnostics += scan.diagnostics
    diagnostics += _set_diagnostics(parsed, strict=strict, host_points=declared)
    diagnostics += _hook_parameters(checked, declared)
    if check_code:
        diagnostics += undeclared_imports(checked)
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
    ordered = sort_diagnostics(diagnostics, [p.file for p in parsed])
    return Report(capped(ordered, limits.max_diagnostics), manifests)


def _set_diagnostics(
    files: Sequence[ParsedFile], *, strict: bool, host_points: Sequence[ExtensionPoint]
) -> list[Diagnostic]:
    """The findings of the rules about a set (``manifold.graph.rules``), placed in their files.

    The first file of an id is the plugin; a later one is a ``duplicate-id``. A dependency that is
    in none of ``files`` may live in another source of the host, so it is a warning unless ``strict``.
    """
    by_id: dict[str, ParsedFile] = {}
    problems: dict[int, list[Problem]] = {}  # by id() of the file: a bundle file holds many
    for item in files:
        if item.plugin_id is None:
            continue
        first = by_id.setdefault(item.plugin_id, item)
        if first is not item:
            message = f"plugin.id: {show(item.plugin_id)} is already the id of {first.file}; plugin ids must be unique"
            problems.setdefault(id(item), []).append(Problem("duplicate-id", ("plugin", "id"), message))
    verdict = check_set(
        [p.manifest for p in by_id.values() if p.manifest is not None],
        unavailable={pid: invalid_reason(p.diagnostics) for pid, p in by_id.items() if p.manifest is None},
        missing="error" if strict else "warning",
        extensions=True,
        host_points=host_points,
    )
    for finding in verdict.findings:
        problems.setdefault(id(by_id[finding.plugin]), []).append(finding.as_problem())
    diagnostics = []
    for item in files:
        diagnostics += item.place(problems.get(id(item), []))
    return diagnostics


def _hook_parameters(
    checked: Sequence[tuple[ParsedFile, CodeScan]], host_points: Sequence[ExtensionPoint]
) -> list[Diagnostic]:
    """Each hook implementation the code scan could read takes no parameter its hook does not declare
    (the check a host makes when it loads the implementation, in its words)."""
    points = {p.id: p for p in host_points}
    for item, _ in checked:
        for declared in item.manifest.extension_points if item.manifest is not None else ():
            points.setdefault(declared.id, declared)
    diagnostics = []
    for item, scan in checked:
        manifest = item.manifest
        if manifest is None or not scan.required:
            continue
        required = dict(scan.required)
        problems = []
        for ext in manifest.extensions:
            point = points.get(ext.point)
            if point is None or not point.hook or ext.index not in required:
                continue
            undeclared = [name for name in required[ext.index] if name not in point.parameters]
            if undeclared:
                its = ", ".join(point.parameters) or "none"
                problems.append(
                    Problem(
                        "hook-parameters",
                        ("extensions", ext.index, "ref"),
                        f"extensions[{ext.index}].ref: {ext.ref} of {manifest.id} takes parameter {undeclared[0]!r}, "
                        f"which hook {point.id} does not declare (its parameters: {its})",
                    )
                )
        diagnostics += item.place(problems)
    return diagnostics


def _check_files(
    locations: list[ManifestLocation],
    *,
    check_code: bool,
    jobs: int | None,
    limits: ManifestLimits,
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[ParsedFile, CodeScan]]:
    """Each manifest read and checked on its own, with the scan of its plugin's code (a failure inside
    manifold is a diagnostic of that manifest)."""

    def check(location: ManifestLocation) -> tuple[ParsedFile, CodeScan]:
        parsed = location.read(limits)
        if not check_code:
            return parsed, CodeScan()
        try:
            return parsed, scan_plugin(parsed)
        except Exception as e:
            return parsed, CodeScan(diagnostics=(internal_error(e, parsed.file, plugin=parsed.plugin_id),))

    def remote(location: ManifestLocation) -> tuple[Any, ...]:
        parsed, scanned = check(location)
        return parsed.to_wire(), scanned.to_wire()

    def decode(location: ManifestLocation, wire: tuple[Any, ...]) -> tuple[ParsedFile, CodeScan]:
        return ParsedFile.from_wire(wire[0], location.root), CodeScan.from_wire(wire[1])

    return map_manifests(check, locations, jobs, progress=progress, remote=remote, decode=decode)


def _identity(location: ManifestLocation) -> object:
    """What tells two locations of one manifest file apart from two files: the file's device and inode
    (from the scan's ``stat``, or one more, where ``realpath`` takes one per folder of the path), else
    its real path."""
    if location.identity is not None:
        return location.identity
    if location.parsed is not None:  # a bundle member or a refused archive: one of several in its file
        return os.path.realpath(location.file)
    try:
        found = os.stat(location.source)  # type: ignore[arg-type]  # a Traversable that is not a path: TypeError
    except (TypeError, OSError):
        return os.path.realpath(str(location.source))
    return found.st_dev, found.st_ino
