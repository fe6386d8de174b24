"""``manifold graph``: the dependency graph as DOT, Mermaid or JSON, or the load order."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._host import add_host_options, given_sources
from manifold.cli._output import print_json, say


def add_graph_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "graph",
        help="print the dependency graph (dot, mermaid, json) or the load order",
        description=(
            "Print the plugins' dependency graph: an arrow from each dependency to its dependents, optional "
            "dependencies dashed, unavailable plugins marked with their reason. Imports no plugin code."
        ),
        epilog="example: manifold graph --path plugins/ --format dot | dot -Tsvg > plugins.svg",
    )
    add_host_options(parser, formats=("dot", "mermaid", "json"))
    parser.add_argument("--order", action="store_true", help="print the load order, one plugin id per line")
    parser.set_defaults(run=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    from manifold.tools.describe import describe_graph, render_dot, render_mermaid
    from manifold.tools.host import host_manager

    with host_manager(
        args.config, given_sources(args), safe_mode=True
    ) as manager:  # closed: it holds the host's secrets
        if args.order:
            for plugin_id in manager.load_order:
                say(plugin_id, lines=False)
            return 0
        graph = describe_graph(manager)
        if args.format == "json":
            print_json(graph)
        else:
            say(render_dot(graph) if args.format == "dot" else render_mermaid(graph))
        return 0
