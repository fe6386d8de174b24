"""``manifold list``: every plugin found, its version, state and reason, and source; imports nothing."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._host import add_host_options, given_sources
from manifold.cli._output import STATE_COLOURS, Cell, count_footer, print_json, print_table, say


def add_list_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "list",
        help="list the plugins of a host, with state and reason",
        description="List the plugins the host would see, after gating and resolving. Imports no plugin code.",
        epilog="example: manifold list --path plugins/ --all",
    )
    add_host_options(parser)
    parser.add_argument("--all", action="store_true", help="also plugins that are filtered or shadowed")
    parser.set_defaults(run=run_list)


def run_list(args: argparse.Namespace) -> int:
    from manifold.tools.describe import list_plugins, row_reason_text
    from manifold.tools.host import host_manager

    with host_manager(
        args.config, given_sources(args), safe_mode=True
    ) as manager:  # closed: it holds the host's secrets
        rows = list_plugins(manager, filtered=args.all)
        if args.format == "json":
            print_json({"plugins": rows, "order": list(manager.load_order)})
            return 0
        cells: list[list[Cell]] = [
            [
                row["id"],
                row["version"] or "-",
                (row["state"], STATE_COLOURS.get(row["state"], "dim")),
                row["reason"]["message"] if row["reason"] else row_reason_text(row),
                row["source"] or "-",
            ]
            for row in rows
        ]
        print_table(["ID", "VERSION", "STATE", "REASON", "SOURCE"], cells, empty="no plugins")
        if rows:
            say(count_footer([row["state"] for row in rows]), err=True)  # stderr: stdout stays the table
        return 0
