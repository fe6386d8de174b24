"""``manifold verify ARCHIVE...``: check archives against their hash lists and the safety rules."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._output import print_json, say


def add_verify_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "verify",
        help="check archives against their hash lists and the safety rules",
        description=(
            "Check each archive the way manifold does before loading it: entry names (no .. or absolute "
            "names), no links, duplicates or encrypted entries, sizes and compression ratios within the "
            "limits, every file against MANIFOLD-HASHES, then plugin.toml or bundle.toml at its root and every "
            "manifest in it. Prints what is wrong, per file, and the archive's SHA-256. Exit 0: all sound; "
            "1: a problem; 2: usage error."
        ),
        epilog="example: manifold verify dist/acme.kitchen-2.0.0.mfz",
    )
    parser.add_argument("archives", nargs="+", metavar="ARCHIVE", help="an archive (.mfz or .zip)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--max-entry-size", type=int, metavar="BYTES", help="largest size of one unpacked file")
    parser.add_argument("--max-total-size", type=int, metavar="BYTES", help="largest size of all unpacked files")
    parser.add_argument("--max-ratio", type=float, metavar="N", help="largest unpacked/packed size of one file")
    parser.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from manifold.tools.verify import verify_archives

    results = verify_archives(
        args.archives, max_entry_size=args.max_entry_size, max_total_size=args.max_total_size, max_ratio=args.max_ratio
    )
    ok = all(result.ok for result in results)
    if args.format == "json":
        print_json(
            {
                "ok": ok,
                "archives": [
                    {
                        "file": result.file,
                        "ok": result.ok,
                        "sha256": result.sha256,
                        "diagnostics": [d.to_dict() for d in result.problems],
                    }
                    for result in results
                ],
            }
        )
    else:
        for result in results:
            for problem in result.problems:
                say(problem.format(), lines=False)
            if result.ok:
                say(f"{result.file}: ok, sha256 {result.sha256}", lines=False)
    return 0 if ok else 1
