"""``manifold pack SRC [-o OUT]``: a plugin folder or a bundle into one reproducible, checked archive."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._output import print_json, say


def add_pack_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "pack",
        help="pack a plugin folder or a bundle into an archive",
        description=(
            "Validate SRC (a plugin folder, a bundle file or a bundle folder), then write it as a reproducible "
            "archive with the hash of every file: packing the same files twice gives the same bytes. Hidden "
            "files, __pycache__ and bytecode are left out. Prints the archive's SHA-256, the one hash to "
            "publish. Exit 0: packed; 1: SRC is invalid (nothing written); 2: usage error."
        ),
        epilog="example: manifold pack plugins/kitchen -o dist/acme.kitchen-2.0.0.mfz",
    )
    parser.add_argument("source", metavar="SRC", help="a plugin folder, a bundle file or a bundle folder")
    parser.add_argument("-o", "--output", metavar="OUT", help="the archive to write (default: ./ID-VERSION.mfz)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(run=run_pack)


def run_pack(args: argparse.Namespace) -> int:
    from manifold.tools.pack import PackError, pack

    try:
        packed = pack(args.source, args.output)
    except PackError as e:
        if args.format == "json":
            print_json({"ok": False, "diagnostics": [d.to_dict() for d in e.diagnostics]})
        else:
            for diagnostic in e.diagnostics:
                say(diagnostic.format(), lines=False)
        say(f"manifold: error: {e}", err=True, lines=False)
        return 1
    if args.format == "json":
        print_json(
            {
                "ok": True,
                "archive": str(packed.archive),
                "kind": packed.kind,
                "id": packed.id,
                "version": packed.version,
                "files": list(packed.files),
                "sha256": packed.sha256,
                "diagnostics": [d.to_dict() for d in packed.warnings],
            }
        )
        return 0
    for warning in packed.warnings:
        say(warning.format(), err=True, lines=False)
    say(
        f"packed {packed.kind} {packed.id} {packed.version} ({len(packed.files)} files) into {packed.archive}",
        lines=False,
    )
    say(f"sha256 {packed.sha256}")
    return 0
