"""``manifold inspect ID``: everything about one plugin; secrets redacted."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._host import add_host_options, given_sources
from manifold.cli._output import json_text, print_json, say


def add_inspect_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "inspect",
        help="show everything about one plugin",
        description=(
            "Show one plugin: manifest, source, state and reason chain, dependencies and dependents, points, "
            "extensions, settings with defaults. Secret values are shown as ••••••. Imports no plugin code."
        ),
        epilog="example: manifold inspect notes.markdown --path examples/plugins",
    )
    parser.add_argument("id", metavar="ID", help="the plugin id")
    add_host_options(parser)
    parser.set_defaults(run=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    from manifold.tools.describe import advice, describe_plugin, reason_text
    from manifold.tools.host import host_manager

    with host_manager(
        args.config, given_sources(args), safe_mode=True
    ) as manager:  # closed: it holds the host's secrets
        data = describe_plugin(manager, args.id)
        if args.format == "json":
            print_json(data)
            return 0
        reason = data["reason"]
        lines = [
            f"{data['id']} {data['version'] or ''}".rstrip(),
            f"  state:        {data['state']}" + (f" ({reason_text(reason)})" if reason else ""),
        ]
        lines += [f"  warning:      {reason_text(warning)}" for warning in data["warnings"]]
        if reason:
            info = manager.inspect(args.id)
            if hint := advice(info.reason):
                lines.append(f"  what to do:   {hint}")
        lines += [
            f"  source:       {data['source'] or '-'}",
            f"  manifest:     {data['file'] or '-'}",
            f"  depends on:   {', '.join(data['dependencies']) or '-'}",
            f"  needed by:    {', '.join(data['dependents']) or '-'}",
        ]
        for point in data.get("points", []):
            kind = "hook" if point["hook"] else point["cardinality"]
            lines.append(
                f"  declares:     {point['id']} ({kind}){' - ' + point['description'] if point['description'] else ''}"
            )
        for ext in data.get("extensions", []):
            name = f" {ext['id']}" if ext["id"] else ""
            config = f" config={_inline(ext['config'])}" if ext["config"] else ""
            lines.append(
                f"  contributes:  {ext['point']}{name} <- {ext['ref'] or '(data)'} priority={ext['priority']}{config}"
            )
        if data.get("settings"):
            lines.append(f"  settings:     {_inline(data['settings'])}")
        for line in lines:
            say(line, lines=False)
        return 0


def _inline(value: Any) -> str:
    """``value`` as JSON on one line (strict, as ``--format json`` writes it)."""
    import json

    return json.dumps(json.loads(json_text(value)), ensure_ascii=False)
