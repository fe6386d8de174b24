"""``manifold validate PATH...``: check manifests without running plugin code."""

from __future__ import annotations

import argparse
from typing import Any

from manifold.cli._output import print_json, say
from manifold.cli._progress import progress_line


def add_validate_command(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help="check manifests, plugin folders and drop-in folders",
        description=(
            "Check plugin manifests against the schema, their versions, references and code paths, "
            "and check them together (ids, dependencies, cycles, points). Contributions to the points the host "
            "lists under [[host-points]] in its configuration are checked like the others. No plugin code is "
            "imported. A run longer than half a second shows its progress on stderr when that is a terminal "
            "(not with --quiet nor TERM=dumb), erased when it ends. "
            "Exit 0: no errors (warnings allowed); 1: errors; 2: usage error."
        ),
        epilog="example: manifold validate plugins/ --format json",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a plugin.toml or bundle.toml, an archive, a plugin, bundle or drop-in folder",
    )
    parser.add_argument("--format", choices=("text", "json", "github"), default="text", help="output format")
    parser.add_argument("--no-code", action="store_true", help="do not read the plugins' Python files")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a dependency missing from the given paths is an error, not a warning",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="processes that read and check the files (default: one per CPU for hundreds of files; 1: no fork)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="manifold.toml or pyproject.toml whose [[host-points]] are known (default: found upwards)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings or summary")
    parser.set_defaults(run=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    from manifold.config import HostFile, load_config
    from manifold.errors import ConfigError
    from manifold.validation import Report, validate

    try:  # the host's points only: no environment
        host = load_config(args.config or _found(), environ={})
    except ConfigError as e:
        if not e.diagnostics:
            raise
        host = HostFile(None, diagnostics=e.diagnostics)  # reported with the others, in every format
    with progress_line("validating", "manifest", quiet=args.quiet) as progress:
        report = validate(
            args.paths,
            check_code=not args.no_code,
            strict=args.strict,
            jobs=args.jobs,
            host_points=host.host_points,
            progress=progress,
        )
    if host.diagnostics:  # the configuration's own problems first
        report = Report(host.diagnostics + report.diagnostics, report.manifests)
    shown = report.errors if args.quiet else report.diagnostics
    if args.format == "json":
        print_json(report.to_dict())
    else:
        for diagnostic in shown:
            say(diagnostic.format_github() if args.format == "github" else diagnostic.format(), lines=False)
        if not args.quiet:
            say(report.summary(), err=True)
    return 0 if report.ok else 1


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _found() -> str | None:
    """The configuration found from the current folder upwards, named relative to it when it is inside."""
    from pathlib import Path

    from manifold.config import find_config

    found = find_config()
    if found is None:
        return None
    try:
        return str(found.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(found)
