"""Checks across a set of manifests: duplicate ids, package claims, dependencies, cycles, points, configs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from manifold.manifest._words import show
from manifold.manifest.diagnostics import Diagnostic, Problem
from manifold.manifest.locate import KeyPath, format_path
from manifold.manifest.model import Manifest, satisfies
from manifold.manifest.parsed import ParsedFile
from manifold.manifest.schema import instance_problems

__all__ = ["check_consistency"]


@dataclass
class _Findings:
    """Problems found so far, per manifest (by ``id()``: a bundle file holds many), and the first
    reason each plugin id is invalid."""

    problems: dict[int, list[Problem]] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    def add(self, parsed: ParsedFile, problem: Problem, *, marks_plugin: bool = True) -> None:
        """Record ``problem``; an error also marks the plugin invalid unless the file is not its owner."""
        self.problems.setdefault(id(parsed), []).append(problem)
        if not marks_plugin or problem.severity != "error":
            return
        if parsed.plugin_id and parsed.plugin_id not in self.invalid:
            self.invalid[parsed.plugin_id] = f"{parsed.file}: {parsed.relocated(problem).message}"


def check_consistency(files: Sequence[ParsedFile], *, strict: bool = False) -> list[Diagnostic]:
    """Every problem that only shows when the given manifests are looked at together.

    A dependency that is in none of ``files`` may live in another source of the host, so it is
    a warning unless ``strict``.
    """
    found = _Findings()
    by_id: dict[str, ParsedFile] = {}
    for parsed in files:
        if parsed.plugin_id is None:
            continue
        first = by_id.setdefault(parsed.plugin_id, parsed)
        first_error = next((d for d in parsed.diagnostics if d.severity == "error"), None)
        if first is parsed and first_error is not None:
            found.invalid[parsed.plugin_id] = f"{parsed.file}: {first_error.message}"
        if first is not parsed:
            found.add(
                parsed,
                Problem(
                    "duplicate-id",
                    ("plugin", "id"),
                    f"plugin.id: {show(parsed.plugin_id)} is already the id of {first.file}; plugin ids must be unique",
                ),
                marks_plugin=False,
            )
    valid = {pid: p for pid, p in by_id.items() if p.manifest is not None}
    _check_claims(valid, found)
    _check_dependencies(valid, by_id, found, strict=strict)
    _check_extensions(valid, found)
    _propagate_invalid(valid, found)
    diagnostics = []
    for parsed in files:
        diagnostics += parsed.place(found.problems.get(id(parsed), []))
    return diagnostics


def _manifest(parsed: ParsedFile) -> Manifest:
    assert parsed.manifest is not None
    return parsed.manifest


def _check_claims(valid: dict[str, ParsedFile], found: _Findings) -> None:
    """Extension-point ids and top-level packages belong to one plugin each."""
    point_owner: dict[str, ParsedFile] = {}
    package_owner: dict[str, ParsedFile] = {}
    for parsed in valid.values():
        manifest = _manifest(parsed)
        for point in manifest.extension_points:
            owner = point_owner.setdefault(point.id, parsed)
            if owner is not parsed:
                path: KeyPath = ("extension-points", point.index, "id")
                found.add(
                    parsed,
                    Problem(
                        "duplicate-point",
                        path,
                        f"{format_path(path)}: point {show(point.id)} is already declared by "
                        f"{owner.plugin_id} ({owner.file}); point ids are unique across plugins",
                    ),
                )
        for i, package in enumerate(manifest.packages):
            owner = package_owner.setdefault(package, parsed)
            if owner is not parsed:
                path = ("plugin", "packages", i)
                found.add(
                    parsed,
                    Problem(
                        "package-conflict",
                        path,
                        f"{format_path(path)}: package {package} is also claimed by {owner.plugin_id} "
                        f"({owner.file}); each import package belongs to one plugin",
                    ),
                )


def _check_dependencies(
    valid: dict[str, ParsedFile], by_id: dict[str, ParsedFile], found: _Findings, *, strict: bool
) -> None:
    from manifold.graph.order import find_cycles, load_order

    edges: dict[str, list[str]] = {}
    for pid, parsed in valid.items():
        manifest = _manifest(parsed)
        edges[pid] = []
        for key, table, optional in (
            ("dependencies", manifest.dependencies, False),
            ("optional-dependencies", manifest.optional_dependencies, True),
        ):
            for dep, spec in table.items():
                path = (key, dep)
                target = by_id.get(dep)
                if target is None:
                    if not optional:
                        found.add(
                            parsed,
                            Problem(
                                "missing-dependency",
                                path,
                                f"{format_path(path)}: no plugin {show(dep)} among the validated "
                                f"manifests; {parsed.plugin_id} cannot load without it",
                                severity="error" if strict else "warning",
                            ),
                        )
                    continue
                edges[pid].append(dep)
                dep_manifest = target.manifest
                if dep_manifest is not None and not satisfies(spec, dep_manifest.version):
                    found.add(
                        parsed,
                        Problem(
                            "version-conflict",
                            path,
                            f"{format_path(path)}: requires {dep} {spec}, but {target.file} has "
                            f"version {dep_manifest.version}",
                            severity="warning" if optional else "error",
                        ),
                    )
    knotted = load_order(edges)[1]  # networkx only when there is a cycle to name
    for cycle in find_cycles({pid: edges[pid] for pid in knotted}) if knotted else []:
        text = " -> ".join(cycle)
        for plugin, dep in itertools.pairwise(cycle):
            parsed = valid[plugin]
            key = "dependencies" if dep in _manifest(parsed).dependencies else "optional-dependencies"
            path = (key, dep)
            found.add(parsed, Problem("cycle", path, f"{format_path(path)}: dependency cycle {text}"))


def _propagate_invalid(valid: dict[str, ParsedFile], found: _Findings) -> None:
    """A plugin that needs an invalid plugin is invalid too, with the chain of reasons."""
    changed = bool(found.invalid)  # nothing invalid: nothing to pass on
    while changed:
        changed = False
        for pid, parsed in valid.items():
            if pid in found.invalid:
                continue
            for dep in sorted(_manifest(parsed).dependencies):
                reason = found.invalid.get(dep)
                if reason is None:
                    continue
                path = ("dependencies", dep)
                found.add(
                    parsed,
                    Problem(
                        "dependency-invalid",
                        path,
                        f"{format_path(path)}: depends on {dep}, which is invalid: {reason}",
                    ),
                )
                changed = True
                break


def _check_extensions(valid: dict[str, ParsedFile], found: _Findings) -> None:
    points = {point.id: point for parsed in valid.values() for point in _manifest(parsed).extension_points}
    contributions: dict[str, list[tuple[ParsedFile, int]]] = {}
    for parsed in valid.values():
        for ext in _manifest(parsed).extensions:
            path = ("extensions", ext.index, "point")
            point = points.get(ext.point)
            if point is None:
                found.add(
                    parsed,
                    Problem(
                        "unknown-point",
                        path,
                        f"{format_path(path)}: no manifest declares the point {show(ext.point)} "
                        "(fine if the host adds it in code)",
                        severity="warning",
                    ),
                )
                continue
            contributions.setdefault(point.id, []).append((parsed, ext.index))
            if point.config_schema is not None:
                where = ("extensions", ext.index, "config")
                for problem in instance_problems(point.config_schema, dict(ext.config), where, "config"):
                    found.add(parsed, problem)
    for point_id, contributors in contributions.items():
        point = points[point_id]
        if point.cardinality != "one" or len(contributors) < 2:
            continue
        first, first_index = contributors[0]
        for parsed, index in contributors[1:]:
            path = ("extensions", index, "point")
            found.add(
                parsed,
                Problem(
                    "cardinality",
                    path,
                    f"{format_path(path)}: point {show(point_id)} takes one extension and "
                    f"{first.plugin_id} already contributes one (extensions[{first_index}] of "
                    f"{first.file}); the host will use only one",
                    severity="warning",
                ),
            )
