"""``manifold new ID [DIR]``: scaffold a plugin folder that validates and loads as generated."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._output import say


def add_new_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "new",
        help="create a new plugin folder",
        description=(
            "Write a plugin folder: plugin.toml (with the #:schema line for editors), a package with a plugin "
            "class and one extension, and a test. Refuses to overwrite an existing folder."
        ),
        epilog="example: manifold new acme.timer plugins/timer",
    )
    parser.add_argument("id", metavar="ID", help="the plugin id, e.g. acme.timer")
    parser.add_argument("dir", metavar="DIR", nargs="?", help="the folder to create (default: ./ID)")
    parser.add_argument(
        "--schema",
        metavar="URL",
        help="the #:schema location (default: the plugin schema, written beside the manifest as .plugin.schema.json)",
    )
    parser.set_defaults(run=run_new)


def run_new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from manifold.tools.scaffold import scaffold

    folder = Path(args.dir or args.id)
    for path in scaffold(args.id, folder, schema=args.schema):
        say(str(path), lines=False)
    say(f"\nnext: manifold validate {folder}")
    return 0
