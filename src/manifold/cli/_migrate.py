"""``manifold migrate --group GROUP -o DIR``: manifests for the installed plugins of a pluggy entry-point group."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._output import say


def add_migrate_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "migrate",
        help="write manifests from the entry points of installed distributions",
        description=(
            "Write OUT/<id>/plugin.toml for every installed distribution with entry points in GROUP: id, "
            "version, description, distribution (its code stays installed), packages, dependencies on the "
            'group\'s other distributions, and one contribution to the point "pluggy" per entry point. '
            "Reads package metadata only; imports no plugin code. Refuses to overwrite a manifest."
        ),
        epilog="example: manifold migrate --group datasette -o plugins/",
    )
    parser.add_argument("--group", required=True, help="the entry-point group the host loads, e.g. datasette")
    parser.add_argument("-o", "--out", required=True, metavar="DIR", help="the folder to write plugin folders into")
    parser.set_defaults(run=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from manifold.tools.migrate import migrate

    written = migrate(args.group, Path(args.out))
    for m in written:
        say(f"{m.file}  ({m.distribution} {m.manifest['plugin']['version']})", lines=False)
    if not written:
        say(f"no installed distribution has entry points in the group {args.group}")
    return 0
