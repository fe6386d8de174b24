"""The ``manifold`` command: parse arguments, call the library, print; ``main(argv) -> exit code``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence

from manifold import __version__
from manifold.cli._completion import add_completion_command
from manifold.cli._doctor import add_doctor_command
from manifold.cli._graph import add_graph_command
from manifold.cli._inspect import add_inspect_command
from manifold.cli._list import add_list_command
from manifold.cli._migrate import add_migrate_command
from manifold.cli._new import add_new_command
from manifold.cli._output import clean, say
from manifold.cli._pack import add_pack_command
from manifold.cli._schema import add_schema_command
from manifold.cli._validate import add_validate_command
from manifold.cli._verify import add_verify_command
from manifold.errors import ManifoldError, UsageError

__all__ = ["main"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program the signal ended


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manifold",
        description="Plugins declared in TOML manifests: validate them, and inspect what a host would load.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--version", action="version", version=f"manifold {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_validate_command(commands)
    add_list_command(commands)
    add_graph_command(commands)
    add_inspect_command(commands)
    add_doctor_command(commands)
    add_new_command(commands)
    add_migrate_command(commands)
    add_pack_command(commands)
    add_verify_command(commands)
    add_schema_command(commands)
    add_completion_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    A reader that stops reading (``manifold list | head -1``) ends the command quietly with exit 141,
    as a program killed by SIGPIPE. SIGTERM and SIGHUP, while the command runs, unwind it like Ctrl-C
    (nothing half-written is left behind) and exit with 128 + the signal's number.
    """
    try:
        with _signals_unwind():
            return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except _Terminated as e:
        with contextlib.suppress(OSError):
            say(f"manifold: {e.name}", err=True)
        return 128 + e.signal


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed the usage error or the help
        sys.stdout.flush()
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args)
        sys.stdout.flush()  # here, where a closed pipe is still an exception this function handles
    except UsageError as e:
        say(f"manifold: error: {e}", err=True)  # a message may hold lines (one per problem)
        return EXIT_USAGE
    except ManifoldError as e:
        say(f"manifold: error: {e}", err=True)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        say("manifold: interrupted", err=True)
        return 130
    except BrokenPipeError:
        raise
    except Exception as e:
        if args.debug:
            import traceback

            traceback.print_exc()
        else:
            say(
                f"manifold: internal error: {type(e).__name__}: {_text(e)}\n"
                "This is a bug in manifold; run again with --debug for the traceback and report it.",
                err=True,
            )
        return EXIT_INTERNAL
    return code


def _text(error: BaseException) -> str:
    """``str(error)`` on one line, or a placeholder when even that raises."""
    try:
        return clean(str(error), lines=False)
    except Exception:
        return "(its message cannot be shown)"


class _Terminated(BaseException):
    """A signal that asks the command to end; a BaseException, so that only cleanup code sees it."""

    def __init__(self, signal: int, name: str) -> None:
        super().__init__(name)
        self.signal, self.name = signal, name


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``_Terminated`` while the command runs, where their default is to end
    the process on the spot; the first one only, so that cleanup is not cut short by a second."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    numbers = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    before = {number: signal.getsignal(number) for number in numbers}
    caught: list[int] = []

    def unwind(number: int, frame: object) -> None:
        if not caught:
            caught.append(number)
            raise _Terminated(number, "terminated" if number == signal.SIGTERM else "hung up")

    for number, handler in before.items():
        if handler is signal.SIG_DFL:  # a host's own handler, or nohup's SIG_IGN, stays
            signal.signal(number, unwind)
    try:
        yield
    finally:
        for number, handler in before.items():
            if handler is signal.SIG_DFL:
                signal.signal(number, handler)


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit cannot fail again on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
