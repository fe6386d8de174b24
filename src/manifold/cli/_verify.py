"""``manifold verify ARCHIVE...``: check archives against their hash lists and the safety rules."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manifold.cli._output import print_json
from manifold.errors import UsageError


def add_verify_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "verify",
        help="check archives against their hash lists and the safety rules",
        description=(
            "Check each archive the way manifold does before loading it: entry names (no .. or absolute "
            "names), no links, duplicates or encrypted entries, sizes and compression ratios within the "
            "limits, and every file against MANIFOLD-HASHES. Prints what is wrong, per file, and the "
            "archive's SHA-256. Exit 0: all sound; 1: a problem; 2: usage error."
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
    from dataclasses import replace

    from manifold.sources.archives import DEFAULT_LIMITS, file_sha256, verify_archive

    missing = [name for name in args.archives if not Path(name).is_file()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file")
    options = {
        "max_entry_size": args.max_entry_size,
        "max_total_size": args.max_total_size,
        "max_ratio": args.max_ratio,
    }
    limits = replace(DEFAULT_LIMITS, **{key: value for key, value in options.items() if value is not None})
    results = []
    for name in args.archives:
        results.append((name, verify_archive(name, limits=limits), file_sha256(name)))
    if args.format == "json":
        print_json(
            {
                "ok": not any(problems for _, problems, _ in results),
                "archives": [
                    {"file": name, "ok": not problems, "sha256": digest, "diagnostics": [d.to_dict() for d in problems]}
                    for name, problems, digest in results
                ],
            }
        )
    else:
        for name, problems, digest in results:
            for problem in problems:
                print(problem.format())
            if not problems:
                print(f"{name}: ok, sha256 {digest}")
    return 1 if any(problems for _, problems, _ in results) else 0
