"""The ``manifold`` command: parse arguments, call the library, print; ``main(argv) -> exit code``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from manifold.cli._doctor import add_doctor_command
from manifold.cli._graph import add_graph_command
from manifold.cli._inspect import add_inspect_command
from manifold.cli._list import add_list_command
from manifold.cli._new import add_new_command
from manifold.cli._pack import add_pack_command
from manifold.cli._schema import add_schema_command
from manifold.cli._validate import add_validate_command
from manifold.cli._verify import add_verify_command
from manifold.errors import ManifoldError, UsageError

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manifold",
        description="Plugins declared in TOML manifests: validate them, and inspect what a host would load.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_validate_command(commands)
    add_list_command(commands)
    add_graph_command(commands)
    add_inspect_command(commands)
    add_doctor_command(commands)
    add_new_command(commands)
    add_pack_command(commands)
    add_verify_command(commands)
    add_schema_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage error or the help
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args)
    except UsageError as e:
        print(f"manifold: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ManifoldError as e:
        print(f"manifold: error: {e}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("manifold: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"manifold: internal error: {type(e).__name__}: {e}\n"
                "This is a bug in manifold; run again with --debug for the traceback and report it.",
                file=sys.stderr,
            )
        return EXIT_INTERNAL
    return code
