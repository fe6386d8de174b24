"""Resolution: which gated plugins can load together, and in what order (dependencies first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from manifold.graph.order import find_cycles, load_order
from manifold.manifest.model import Manifest, satisfies
from manifold.states import Reason

__all__ = ["Resolution", "resolve", "unavailable_because"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """The load order of the plugins that can load, and the reason of each that cannot."""

    order: tuple[str, ...]
    unresolved: Mapping[str, Reason]
    edges: Mapping[str, list[str]] = field(compare=False)
    """Each gated plugin -> the plugins it needs (dependencies and present optional ones)."""


def unavailable_because(pid: str, dep: str, reason: Reason) -> Reason:
    """``pid`` cannot load because its dependency ``dep`` cannot, for ``reason``, with the chain."""
    chain = (dep, *reason.chain) if reason.code == "dependency-unavailable" else (dep,)
    root = reason.message if reason.code != "dependency-unavailable" else reason.message.partition(": ")[2]
    path = " because ".join(f"{name} is unavailable" for name in chain)
    return Reason("dependency-unavailable", f"{pid} is unavailable because {path}: {root}", chain=chain)


def resolve(candidates: Sequence[Manifest], unavailable: Mapping[str, Reason]) -> Resolution:
    """Resolve ``candidates`` (in source order) given the plugins already ``unavailable`` (by id).

    Checked here: package conflicts (the earlier candidate keeps the package), missing
    dependencies, versions, cycles, and every plugin that needs an unavailable one.
    """
    by_id = {m.id: m for m in candidates}
    unresolved: dict[str, Reason] = {}
    owners: dict[str, Manifest] = {}
    for manifest in candidates:
        for package in manifest.packages:
            owner = owners.setdefault(package, manifest)
            if owner is not manifest and manifest.id not in unresolved:
                unresolved[manifest.id] = Reason(
                    "package-conflict",
                    f"{manifest.id} ships package {package}, which {owner.id} ({owner.file}) already ships",
                )
    edges: dict[str, list[str]] = {}
    for manifest in candidates:
        needs = edges.setdefault(manifest.id, [])
        for dep, spec in manifest.dependencies.items():
            target = by_id.get(dep)
            if target is None:
                if dep not in unavailable and manifest.id not in unresolved:
                    unresolved[manifest.id] = Reason(
                        "missing-dependency", f"{manifest.id} needs {dep}, which is in no source"
                    )
                needs.append(dep)
            elif not satisfies(spec, target.version):
                unresolved.setdefault(
                    manifest.id,
                    Reason(
                        "version-conflict",
                        f"{manifest.id} needs {dep} {spec}, but {dep} is version {target.version} ({target.file})",
                    ),
                )
            else:
                needs.append(dep)
        for dep, spec in manifest.optional_dependencies.items():
            target = by_id.get(dep)
            if target is not None and satisfies(spec, target.version):
                needs.append(dep)
    order, knotted = load_order(edges)
    for cycle in find_cycles({pid: edges[pid] for pid in knotted}) if knotted else []:
        text = " -> ".join(cycle)
        for pid in cycle[:-1]:
            unresolved.setdefault(pid, Reason("cycle", f"dependency cycle {text}", chain=tuple(cycle)))
    # Everything that needs an unavailable plugin is unavailable too, in dependency order.
    blocked = {**unavailable, **unresolved}
    changed = True
    while changed:
        changed = False
        for manifest in candidates:
            if manifest.id in blocked:
                continue
            for dep in sorted(manifest.dependencies):
                if dep in blocked:
                    reason = unavailable_because(manifest.id, dep, blocked[dep])
                    unresolved[manifest.id] = blocked[manifest.id] = reason
                    changed = True
                    break
    return Resolution(tuple(pid for pid in order if pid not in unresolved), unresolved, edges)
