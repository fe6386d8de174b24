"""The rules about a set of manifests, written once: findings that validate shows as diagnostics, a host as reasons.

``check_set`` takes the manifests of a set in source order, with the plugins already unavailable
and why, and returns every finding (code, plugin, the other plugins involved, key path, severity,
the chain and root cause of a knock-on finding) with the first reason of each plugin that cannot
load and the load order of the others. A finding's ``message`` is one sentence, the same for both:
a diagnostic puts its key path in front of it (``dependencies.b: ...``), a reason does not.

The earlier of two manifests keeps an id, a point or a package: a later id is shadowed
(``shadowed``), a later point or package is the later plugin's finding.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from manifold._values import field, value_type
from manifold.codes import ARCHIVE_CODES, DiagnosticCode, ReasonCode
from manifold.graph.order import find_cycles, load_order
from manifold.manifest._words import did_you_mean, show
from manifold.manifest.diagnostics import Diagnostic, Problem
from manifold.manifest.model import ExtensionPoint, Manifest, satisfies
from manifold.states import Reason

if TYPE_CHECKING:
    from manifold.manifest.diagnostics import Severity
    from manifold.manifest.locate import KeyPath

__all__ = ["Finding", "FindingCode", "Verdict", "check_set", "invalid_reason", "shadowed", "unavailable_because"]

FindingCode = Literal[
    "duplicate-point",
    "package-conflict",
    "missing-dependency",
    "version-conflict",
    "cycle",
    "dependency-unavailable",
    "unknown-point",
    "config",
    "cardinality",
]
"""What a rule about a set finds; ``as_diagnostic`` and ``as_reason`` give its code for each reader."""

_DIAGNOSTIC_CODE: Mapping[FindingCode, DiagnosticCode] = {
    "duplicate-point": "duplicate-point",
    "package-conflict": "package-conflict",
    "missing-dependency": "missing-dependency",
    "version-conflict": "version-conflict",
    "cycle": "cycle",
    "dependency-unavailable": "dependency-invalid",  # the one code that differs: validate's word for it
    "unknown-point": "unknown-point",
    "config": "config",
    "cardinality": "cardinality",
}

_REASON_CODE: Mapping[FindingCode, ReasonCode] = {
    "duplicate-point": "duplicate-point",
    "package-conflict": "package-conflict",
    "missing-dependency": "missing-dependency",
    "version-conflict": "version-conflict",
    "cycle": "cycle",
    "dependency-unavailable": "dependency-unavailable",
    # validate-only rules: an error among them makes the manifest invalid
    "unknown-point": "invalid",
    "config": "invalid",
    "cardinality": "invalid",
}


@value_type
class Finding:
    """One fact about a plugin in a set: its code, the plugin, the others involved, where, how bad.

    ``chain`` and ``cause`` are set on a ``dependency-unavailable`` finding (the plugins from the
    dependency to the root, and the root's reason) and ``chain`` on a ``cycle`` (the cycle).
    """

    code: FindingCode
    plugin: str
    message: str
    path: KeyPath = ()
    others: tuple[str, ...] = ()
    severity: Severity = "error"
    chain: tuple[str, ...] = ()
    cause: Reason | None = None
    keyed: bool = False
    """``message`` already starts with its key path (a config problem, in the schema checker's words)."""

    def as_problem(self) -> Problem:
        """The finding as ``validate`` shows it: at its key, the key path in front of the sentence."""
        from manifold.manifest.locate import format_path  # validate's rendering: a host never needs it

        message = self.message if self.keyed else f"{format_path(self.path)}: {self.message}"
        return Problem(_DIAGNOSTIC_CODE[self.code], self.path, message, self.severity)

    def as_reason(self) -> Reason:
        """The finding as a host shows it: the sentence alone."""
        return Reason(_REASON_CODE[self.code], self.message, chain=self.chain, cause=self.cause)


@value_type
class Verdict:
    """Every finding about a set, the first reason of each plugin that cannot load, the others' order."""

    findings: tuple[Finding, ...]
    reasons: Mapping[str, Reason]
    """The plugins of the set that cannot load (those already unavailable are not repeated)."""
    order: tuple[str, ...]
    edges: Mapping[str, list[str]] = field(compare=False)
    """Each plugin -> the plugins it needs (its dependencies, and its optional ones that are present)."""


@value_type(frozen=False)
class _Found:
    findings: list[Finding] = field(default_factory=list)
    reasons: dict[str, Reason] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        """Record ``finding``; the first error of a plugin is the reason it cannot load."""
        self.findings.append(finding)
        if finding.severity == "error" and finding.plugin not in self.reasons:
            self.reasons[finding.plugin] = finding.as_reason()


_NONE: Mapping[str, Reason] = MappingProxyType({})


def check_set(
    manifests: Sequence[Manifest],
    *,
    unavailable: Mapping[str, Reason] = _NONE,
    points: Mapping[str, str | None] = MappingProxyType({}),
    missing: Severity = "error",
    extensions: bool = False,
    host_points: Sequence[ExtensionPoint] = (),
) -> Verdict:
    """Check ``manifests`` (in source order, one per id) together, given the plugins already ``unavailable``.

    ``points`` are the points declared before any of them (point id -> the plugin that declared it,
    ``None`` for the host). ``missing`` is the severity of a dependency that is in no manifest and not unavailable
    (``validate`` makes it a warning unless strict: it may be in another source of the host).
    ``extensions`` adds the rules only ``validate`` applies: unknown points, extension configs and
    cardinality. ``host_points`` are the points the host declares (its ``[[host-points]]``): declared
    before any manifest's, and checked like them. Rules run in one order (points, packages,
    dependencies, cycles, extensions, knock-on), and the first error of a plugin is its reason.
    """
    found = _Found()
    by_id = {m.id: m for m in manifests}
    _claim_points(manifests, {**{p.id: None for p in host_points}, **points}, found)
    _claim_packages(manifests, found)
    edges = _check_dependencies(manifests, by_id, unavailable, found, missing=missing)
    order, knotted = load_order(edges)
    if knotted:  # networkx only when there is a cycle to name
        _check_cycles(by_id, {pid: edges[pid] for pid in knotted}, found)
    if extensions:
        _check_extensions(manifests, host_points, found)
    _knock_on(manifests, unavailable, found)
    return Verdict(
        tuple(found.findings),
        found.reasons,
        tuple(pid for pid in order if pid not in found.reasons),
        edges,
    )


def shadowed(ids: Sequence[str]) -> dict[int, int]:
    """The position of each id that an earlier one already has -> the position of that earlier one."""
    first: dict[str, int] = {}
    later: dict[int, int] = {}
    for index, pid in enumerate(ids):
        kept = first.setdefault(pid, index)
        if kept != index:
            later[index] = kept
    return later


def invalid_reason(diagnostics: Sequence[Diagnostic]) -> Reason:
    """Why a manifest with errors cannot load: its first error (and how many more); a refused archive
    says why (``integrity``, ...), any other manifest is ``invalid``."""
    errors = [d for d in diagnostics if d.severity == "error"]
    first = errors[0].format() if errors else "unreadable"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    code: ReasonCode = "invalid"
    for archive_code in ARCHIVE_CODES:
        if errors and errors[0].code == archive_code:
            code = archive_code
    return Reason(code, f"{first}{more}")


def unavailable_because(plugin: str, dep: str, reason: Reason) -> Reason:
    """``plugin`` cannot load because its dependency ``dep`` cannot, for ``reason``: the chain and root as data."""
    chain = (dep, *reason.chain) if reason.cause is not None else (dep,)
    root = reason.cause if reason.cause is not None else reason
    path = " because ".join(f"{name} is unavailable" for name in chain)
    return Reason(
        "dependency-unavailable", f"{plugin} is unavailable because {path}: {root.message}", chain, cause=root
    )


def _requirement(dep: str, spec: object) -> str:
    text = str(spec)
    return f"{dep} {text}" if text else dep


def _claim_points(manifests: Sequence[Manifest], declared: Mapping[str, str | None], found: _Found) -> None:
    """Point ids are unique: the earlier plugin keeps a point, and a plugin that loses one claims none."""
    owners: dict[str, tuple[str | None, str]] = {
        point: (plugin, plugin or "the host") for point, plugin in declared.items()
    }
    for manifest in manifests:
        clashes = [p for p in manifest.extension_points if owners.get(p.id, (manifest.id,))[0] != manifest.id]
        for point in clashes:
            owner, words = owners[point.id]
            found.add(
                Finding(
                    "duplicate-point",
                    manifest.id,
                    f"{manifest.id} declares point {point.id}, which {words} already declares",
                    ("extension-points", point.index, "id"),
                    others=(owner,) if owner is not None else (),
                )
            )
        if not clashes:
            mine = (manifest.id, f"{manifest.id} ({manifest.file})")
            owners.update({p.id: mine for p in manifest.extension_points})


def _claim_packages(manifests: Sequence[Manifest], found: _Found) -> None:
    """A top-level package belongs to one plugin: the earlier one that can still load."""
    owners: dict[str, Manifest] = {}
    losers = set(found.reasons)
    for manifest in manifests:
        for index, package in enumerate(manifest.packages):
            owner = owners.get(package)
            if owner is None:
                if manifest.id not in losers:
                    owners[package] = manifest
            elif owner is not manifest:
                found.add(
                    Finding(
                        "package-conflict",
                        manifest.id,
                        f"{manifest.id} ships package {package}, which {owner.id} ({owner.file}) already ships",
                        ("plugin", "packages", index),
                        others=(owner.id,),
                    )
                )


def _check_dependencies(
    manifests: Sequence[Manifest],
    by_id: Mapping[str, Manifest],
    unavailable: Mapping[str, Reason],
    found: _Found,
    *,
    missing: Severity,
) -> dict[str, list[str]]:
    """Every dependency is present (or already unavailable, for the knock-on rule) in a version it accepts."""
    edges: dict[str, list[str]] = {}
    for manifest in manifests:
        needs = edges[manifest.id] = []
        for key, table, optional in (
            ("dependencies", manifest.dependencies, False),
            ("optional-dependencies", manifest.optional_dependencies, True),
        ):
            for dep, spec in table.items():
                target = by_id.get(dep)
                if target is None:
                    if not optional:
                        needs.append(dep)
                        if dep not in unavailable:
                            found.add(
                                Finding(
                                    "missing-dependency",
                                    manifest.id,
                                    f"{manifest.id} needs {_requirement(dep, spec)}, but no manifest found "
                                    f"has the id {dep}",
                                    (key, dep),
                                    others=(dep,),
                                    severity=missing,
                                )
                            )
                elif satisfies(spec, target.version):
                    needs.append(dep)
                else:
                    found.add(
                        Finding(
                            "version-conflict",
                            manifest.id,
                            f"{manifest.id} needs {_requirement(dep, spec)}, but {dep} is version "
                            f"{target.version} ({target.file})",
                            (key, dep),
                            others=(dep,),
                            severity="warning" if optional else "error",
                        )
                    )
    return edges


def _check_cycles(by_id: Mapping[str, Manifest], knotted: Mapping[str, list[str]], found: _Found) -> None:
    """Each cycle is named in full, at every dependency on its way."""
    for cycle in find_cycles(knotted):
        text = " -> ".join(cycle)
        for plugin, dep in itertools.pairwise(cycle):
            key = "dependencies" if dep in by_id[plugin].dependencies else "optional-dependencies"
            found.add(
                Finding("cycle", plugin, f"dependency cycle {text}", (key, dep), others=(dep,), chain=tuple(cycle))
            )


def _check_extensions(manifests: Sequence[Manifest], host_points: Sequence[ExtensionPoint], found: _Found) -> None:
    """Each extension's point is declared (by a manifest, the host, or manifold itself: the pluggy bridge's),
    its config fits the point's schema, and a ``one`` point gets one."""
    from manifold.manifest.bridge import BUILTIN_POINTS
    from manifold.manifest.embedded import instance_problems  # validate only: a host checks configs on load

    points = {**BUILTIN_POINTS, **{point.id: point for point in host_points}}
    for manifest in manifests:  # a manifest's point that clashes with the host's is a duplicate-point
        for declared in manifest.extension_points:
            points.setdefault(declared.id, declared)
    contributions: dict[str, list[tuple[Manifest, int]]] = {}
    for manifest in manifests:
        for ext in manifest.extensions:
            path: KeyPath = ("extensions", ext.index, "point")
            point = points.get(ext.point)
            if point is None:
                found.add(
                    Finding(
                        "unknown-point",
                        manifest.id,
                        _unknown(ext.point, points, host_points),
                        path,
                        severity="warning",
                    )
                )
                continue
            contributions.setdefault(point.id, []).append((manifest, ext.index))
            if point.config_schema is not None:
                where = ("extensions", ext.index, "config")
                for problem in instance_problems(point.config_schema, dict(ext.config), where, "config"):
                    found.add(
                        Finding(
                            "config",
                            manifest.id,
                            problem.message,
                            problem.path,
                            others=(point.plugin,) if point.plugin else (),
                            severity=problem.severity,
                            keyed=True,
                        )
                    )
    for point_id, contributors in contributions.items():
        if points[point_id].cardinality != "one" or len(contributors) < 2:
            continue
        first, first_index = contributors[0]
        for manifest, index in contributors[1:]:
            found.add(
                Finding(
                    "cardinality",
                    manifest.id,
                    f"point {show(point_id)} takes one extension and {first.id} already contributes one "
                    f"(extensions[{first_index}] of {first.file}); the host will use only one",
                    ("extensions", index, "point"),
                    others=(first.id,),
                    severity="warning",
                )
            )


def _unknown(point: str, points: Mapping[str, ExtensionPoint], host_points: Sequence[ExtensionPoint]) -> str:
    """Why a contribution's point is unknown, and where it may be declared."""
    if not host_points:
        return f"no manifest declares the point {show(point)} (fine if the host adds it in code)"
    return (
        f"neither a manifest nor the host's points declare the point {show(point)}"
        f"{did_you_mean(point, points)} (fine if the host adds it in code)"
    )


def _knock_on(manifests: Sequence[Manifest], unavailable: Mapping[str, Reason], found: _Found) -> None:
    """A plugin that needs an unavailable plugin is unavailable too, with the chain to the root cause."""
    blocked = {**unavailable, **found.reasons}
    changed = bool(blocked)  # nothing unavailable: nothing to pass on
    while changed:
        changed = False
        for manifest in manifests:
            if manifest.id in blocked:
                continue
            for dep in sorted(manifest.dependencies):
                reason = blocked.get(dep)
                if reason is None:
                    continue
                knock = unavailable_because(manifest.id, dep, reason)
                found.add(
                    Finding(
                        "dependency-unavailable",
                        manifest.id,
                        knock.message,
                        ("dependencies", dep),
                        others=(dep,),
                        chain=knock.chain,
                        cause=knock.cause,
                    )
                )
                blocked[manifest.id] = knock
                changed = True
                break
