"""``manifold schema [NAME] [-o FILE]``: print or write a JSON Schema for editors and catalogs.

``--composed`` writes the plugin schema specialised for the points of one installation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from manifold.cli._output import json_text, say
from manifold.errors import UsageError
from manifold.manifest.shipped import SCHEMA_NAMES


def add_schema_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "schema",
        help="print or write a JSON Schema (for editors)",
        description=(
            "Print the JSON Schema of a manifold file, or write it to FILE. With --composed: the plugin schema "
            "for one installation, in which each known point's config-schema checks the config of "
            "contributions to it, and point ids complete."
        ),
        epilog="example: manifold schema plugin -o schemas/plugin.schema.json",
    )
    parser.add_argument("name", nargs="?", choices=SCHEMA_NAMES, default="plugin", help="which schema")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of printing it")
    parser.add_argument("--composed", action="store_true", help="the plugin schema for the points of the sources")
    parser.add_argument("--config", metavar="FILE", help="with --composed: the host configuration")
    parser.add_argument("--path", action="append", metavar="SOURCE", help="with --composed: a plugin source")
    parser.set_defaults(run=run_schema)


def run_schema(args: argparse.Namespace) -> int:
    from manifold.manifest.shipped import schema_text

    text = _composed(args) if args.composed else schema_text(args.name)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    from pathlib import Path  # only to write a file

    target = Path(args.output)
    if target.is_dir():
        raise UsageError(f"{args.output} is a folder; name the file to write")
    from manifold._files import write_atomic  # only to write a file: the command's start stays light

    write_atomic(target, text, parents=True)  # its folders made as needed, as pack does
    say(f"wrote {args.output}", err=True, lines=False)
    return 0


def _composed(args: argparse.Namespace) -> str:
    from manifold.tools.compose import composed_schema, declared_points
    from manifold.tools.host import host_manager

    if args.name != "plugin":
        raise UsageError("--composed specialises the plugin schema; leave out the schema name")
    with host_manager(args.config, args.path, safe_mode=True) as manager:  # closed: it holds the host's secrets
        return json_text(composed_schema(declared_points(manager))) + "\n"
