"""Plain, JSON-ready descriptions of plugins and of the dependency graph, for tools and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from manifold._secrets import redact
from manifold.errors import UsageError
from manifold.states import PluginInfo, Reason

if TYPE_CHECKING:
    from manifold.manager import Manager

__all__ = [
    "advice",
    "describe_graph",
    "describe_plugin",
    "list_plugins",
    "plugin_row",
    "reason_text",
    "render_dot",
    "render_mermaid",
    "row_reason_text",
]


def reason_dict(reason: Reason | None) -> dict[str, Any] | None:
    if reason is None:
        return None
    data: dict[str, Any] = {"code": reason.code, "message": reason.message}
    if reason.chain:
        data["chain"] = list(reason.chain)
    if reason.phase:
        data["phase"] = reason.phase
    return data


def reason_text(reason: Mapping[str, Any] | None) -> str:
    """A reason as ``reason_dict`` gives it, in one line: ``code: message``; empty for none."""
    return f"{reason['code']}: {reason['message']}" if reason else ""


def plugin_row(info: PluginInfo) -> dict[str, Any]:
    """The short form: what ``manifold list`` shows (``warnings``: what gating let pass, as reasons)."""
    return {
        "id": info.manifest.id if info.manifest is not None else info.id,
        "version": info.version,
        "state": info.state,
        "reason": reason_dict(info.reason),
        "warnings": [reason_dict(w) for w in info.warnings],
        "source": info.source,
        "file": info.file,
    }


def row_reason_text(row: Mapping[str, Any]) -> str:
    """A row's reason in one line, or its warnings (``warning: code: message``, joined by ``; ``)."""
    if row["reason"]:
        return reason_text(row["reason"])
    return "; ".join(f"warning: {reason_text(w)}" for w in row.get("warnings", ()))


def list_plugins(manager: Manager, *, filtered: bool = False) -> list[dict[str, Any]]:
    """The rows of every plugin the host discovers (``plugin_row``), secrets masked; those filtered out
    only with ``filtered``."""
    rows = [plugin_row(info) for info in manager.discover().plugins.values()]
    shown: list[dict[str, Any]] = manager.redact(rows)
    return shown if filtered else [row for row in shown if row["state"] != "filtered"]


def describe_plugin(manager: Manager, plugin_id: str) -> dict[str, Any]:
    """Everything about one plugin, secrets masked: what ``manifold inspect`` shows.

    Raises UsageError when no source of the host has ``plugin_id``.
    """
    if plugin_id not in manager.report.plugins:
        raise UsageError(f"no plugin {plugin_id!r} in {', '.join(s.name for s in manager.sources)}")
    info = manager.inspect(plugin_id)
    data = plugin_row(info)
    manifest = info.manifest
    graph = manager.graph
    data["dependencies"] = sorted(graph.predecessors(plugin_id)) if plugin_id in graph else []
    data["dependents"] = sorted(graph.successors(plugin_id)) if plugin_id in graph else []
    data["discovered_at"] = info.discovered_at.isoformat() if info.discovered_at else None
    data["activated_at"] = info.activated_at.isoformat() if info.activated_at else None
    if manifest is None:
        return _shown(manager, data)
    data["manifest"] = redact(_plain(manifest.data))
    data["requires"] = {
        "dependencies": {k: manifest.dependency_text(k) or str(v) or "*" for k, v in manifest.dependencies.items()},
        "optional-dependencies": {
            k: manifest.dependency_text(k) or str(v) or "*" for k, v in manifest.optional_dependencies.items()
        },
    }
    data["points"] = [
        {
            "id": p.id,
            "description": p.description,
            "interface": str(p.interface) if p.interface else None,
            "cardinality": p.cardinality,
            "hook": p.hook,
        }
        for p in manifest.extension_points
    ]
    data["extensions"] = [
        {
            "point": e.point,
            "id": e.id,
            "ref": str(e.ref) if e.ref else None,
            "priority": e.priority,
            "config": redact(_plain(e.config)),
        }
        for e in manifest.extensions
    ]
    data["settings"] = redact(_plain(manager.settings(plugin_id))) if info.state != "filtered" else None
    return _shown(manager, data)


def _shown(manager: Manager, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the manager's secrets masked wherever they are (the values under secret keys are
    masked where the data is settings or a manifest)."""
    shown: dict[str, Any] = manager.redact(data)
    return shown


def _plain(value: Any) -> Any:
    """Mappings as dicts, sequences as lists, other non-JSON values as text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def describe_graph(manager: Manager) -> dict[str, Any]:
    """Nodes (every plugin with a manifest, with state and reason) and dependency edges; secrets masked."""
    report = manager.report
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for info in report.plugins.values():
        manifest = info.manifest
        if manifest is None or (info.reason is not None and info.reason.code == "shadowed"):
            continue
        nodes.append(
            {
                "id": manifest.id,
                "version": str(manifest.version),
                "state": info.state,
                "reason": reason_dict(info.reason),
            }
        )
        for dep in sorted(manifest.dependencies):
            edges.append({"from": dep, "to": manifest.id, "optional": False})
        for dep in sorted(manifest.optional_dependencies):
            edges.append({"from": dep, "to": manifest.id, "optional": True})
    known = {n["id"] for n in nodes}
    for edge in edges:
        if edge["from"] not in known:
            nodes.append({"id": edge["from"], "version": None, "state": "missing", "reason": None})
            known.add(edge["from"])
    graph: dict[str, Any] = manager.redact({"nodes": nodes, "edges": edges, "order": list(report.order)})
    return graph


def _label(node: dict[str, Any]) -> str:
    version = f" {node['version']}" if node["version"] else ""
    reason = node["reason"]["code"] if node["reason"] else node["state"]
    return f"{node['id']}{version}\\n{reason}"


def render_dot(graph: dict[str, Any]) -> str:
    """Graphviz DOT: dependencies point at their dependents; unavailable plugins red, optional edges dashed."""
    lines = [
        "digraph plugins {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef6ee"];',
    ]
    for node in graph["nodes"]:
        colour = "" if node["state"] in ("resolved", "active", "loaded", "inactive") else ', fillcolor="#f8dddd"'
        lines.append(f'  "{node["id"]}" [label="{_label(node)}"{colour}];')
    for edge in graph["edges"]:
        style = " [style=dashed]" if edge["optional"] else ""
        lines.append(f'  "{edge["from"]}" -> "{edge["to"]}"{style};')
    lines.append("}")
    return "\n".join(lines)


def render_mermaid(graph: dict[str, Any]) -> str:
    """Mermaid flowchart text (GitHub renders it in Markdown)."""
    ids = {node["id"]: f"n{i}" for i, node in enumerate(graph["nodes"])}
    lines = ["flowchart LR"]
    for node in graph["nodes"]:
        label = _label(node).replace("\\n", "<br/>")
        lines.append(f'  {ids[node["id"]]}["{label}"]')
        if node["state"] not in ("resolved", "active", "loaded", "inactive"):
            lines.append(f"  class {ids[node['id']]} unavailable")
    for edge in graph["edges"]:
        arrow = "-.->" if edge["optional"] else "-->"
        lines.append(f"  {ids[edge['from']]} {arrow} {ids[edge['to']]}")
    lines.append("  classDef unavailable fill:#f8dddd,stroke:#b33")
    return "\n".join(lines)


_ADVICE = {
    "invalid": "fix the manifest: run `manifold validate` on its folder for every problem with its line",
    "shadowed": "an earlier source has the same id; remove one copy or reorder the sources",
    "not-found": "install the plugin into one of the sources, or drop it from enabled/required",
    "disabled": "remove it from `disabled` (or MANIFOLD_DISABLED) to load it",
    "not-enabled": "add it to `enabled` (or MANIFOLD_ENABLED) to load it",
    "denied": "the operator's allow/deny lists exclude it (config or MANIFOLD_ALLOW / MANIFOLD_DENY)",
    "incompatible-api": 'install a version of the plugin made for this plugin API, or set api-severity = "warning"',
    "incompatible-app": "install a version of the plugin that supports this application version",
    "incompatible-python": "run a Python the plugin supports, or install another version of the plugin",
    "wrong-target": "the plugin is made for another application; remove it from this one's sources",
    "missing-target": "the plugin names no `target`; add one to its manifest, or turn require-target off",
    "markers": "the plugin's environment markers exclude this machine",
    "missing-requirement": "pip install the distributions its `requires` lists",
    "invalid-settings": "fix its [settings] in the configuration; the message names the key",
    "pre-activate-rejected": "the host's pre_activate callback refused it",
    "missing-dependency": "install the plugin it depends on into one of the sources",
    "version-conflict": "install a version of the dependency that satisfies the specifier",
    "cycle": "break the dependency cycle: one of the plugins must not depend on the other",
    "dependency-unavailable": "fix the plugin at the end of the chain first",
    "package-conflict": "two plugins ship the same import package; rename one package or remove a plugin",
    "duplicate-point": "two plugins declare the same extension point; only the first keeps it",
    "failed": "read the traceback (manifold doctor --activate --format json shows it) and fix the plugin's code",
    "removed": "the host removed it; a rescan finds it again",
}


def advice(reason: Reason | None) -> str:
    """What to do about a reason, in one sentence."""
    if reason is None:
        return ""
    if reason.code == "failed" and reason.phase == "timeout":
        return "it hung: find what blocks in its activate(), or raise the timeout"
    return _ADVICE.get(reason.code, "")
