"""Manifests written from the entry points of installed distributions, for a pluggy host moving to the bridge.

Everything is read through ``importlib.metadata``; no plugin code is imported.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifold._files import write_atomic
from manifold.errors import UsageError

__all__ = ["Migrated", "manifests_for_group", "migrate"]

_PLUGIN_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")


@dataclass(frozen=True, slots=True)
class Migrated:
    """One distribution of the group: the plugin id chosen, its manifest as a table, and the file written."""

    distribution: str
    id: str
    manifest: dict[str, Any]
    file: Path | None = None


def manifests_for_group(
    group: str, *, distributions: Iterable[importlib.metadata.Distribution] | None = None
) -> list[Migrated]:
    """A manifest per installed distribution with entry points in ``group``, sorted by id.

    id: the distribution's normalised name; version, description, homepage: its metadata;
    ``distribution``: its name (its code stays where pip installed it); ``packages``: the top-level
    modules its entry points name; ``dependencies``: its requirements that are distributions of
    the same group (without markers that need an extra); one contribution to ``"pluggy"`` per entry
    point, ``ref`` its value and ``config.name`` its name.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, tuple[importlib.metadata.Distribution, list[importlib.metadata.EntryPoint]]] = {}
    for dist in importlib.metadata.distributions() if distributions is None else distributions:
        points = [ep for ep in dist.entry_points if ep.group == group]
        name = _header(dist, "Name")
        if points and name and canonicalize_name(name) not in found:  # the first on sys.path wins, as for imports
            found[canonicalize_name(name)] = (dist, points)
    result = []
    for key, (dist, points) in sorted(found.items()):
        plugin_id = key if _PLUGIN_ID.match(key) else "plugin-" + re.sub(r"[^a-z0-9_-]", "-", key)
        plugin: dict[str, Any] = {"id": plugin_id, "version": _header(dist, "Version") or "0"}
        summary = _header(dist, "Summary")
        if summary:
            plugin["description"] = summary
        homepage = _homepage(dist)
        if homepage:
            plugin["homepage"] = homepage
        plugin["distribution"] = _header(dist, "Name")
        plugin["packages"] = sorted({ep.module.partition(".")[0] for ep in points})
        dependencies: dict[str, str] = {}
        for text in dist.requires or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and "extra" in str(requirement.marker):
                continue
            other = canonicalize_name(requirement.name)
            if other in found and other != key:
                dependencies[other] = str(requirement.specifier) or "*"
        manifest: dict[str, Any] = {"manifest-version": 1, "plugin": plugin}
        if dependencies:
            manifest["dependencies"] = dict(sorted(dependencies.items()))
        manifest["extensions"] = [
            {"point": "pluggy", "ref": ep.value.partition("[")[0].strip(), "config": {"name": ep.name}}
            for ep in sorted(points, key=lambda ep: ep.name)
        ]
        result.append(Migrated(_header(dist, "Name") or key, plugin_id, manifest))
    return result


def _header(dist: importlib.metadata.Distribution, name: str) -> str | None:
    """A header of the distribution's metadata, or None: indexing a missing one warns on Python 3.12+."""
    metadata = dist.metadata
    return metadata[name] if name in metadata else None  # noqa: SIM401 (no get before 3.12)


def _homepage(dist: importlib.metadata.Distribution) -> str:
    page = _header(dist, "Home-page")
    if isinstance(page, str) and page:
        return page
    for url in dist.metadata.get_all("Project-URL") or ():
        label, _, address = url.partition(",")
        if label.strip().lower() in ("homepage", "home", "source"):
            return str(address).strip()
    return ""


def migrate(
    group: str,
    out: Path,
    *,
    distributions: Iterable[importlib.metadata.Distribution] | None = None,
) -> list[Migrated]:
    """Write ``OUT/<id>/plugin.toml`` for each distribution of ``group``; refuses to overwrite any
    existing manifest (and then writes none)."""
    import tomli_w

    migrated = manifests_for_group(group, distributions=distributions)
    existing = [out / m.id / "plugin.toml" for m in migrated if (out / m.id / "plugin.toml").exists()]
    if existing:
        raise UsageError(f"{', '.join(map(str, existing))} already exist; remove them or choose another folder")
    written = []
    for m in migrated:
        target = out / m.id / "plugin.toml"
        write_atomic(target, tomli_w.dumps(m.manifest), parents=True)
        written.append(Migrated(m.distribution, m.id, m.manifest, target))
    return written
