"""A progress line on stderr for long runs (``validating 3,412/10,000 manifests``), erased when the work ends.

It is drawn only where a person watches and nothing reads the text back: stderr is a terminal, ``TERM``
is not ``dumb`` (such a terminal, an editor's shell buffer for one, may show the escape sequence instead
of obeying it) and the command is not ``--quiet``. It appears once the work has taken ``_DELAY`` seconds,
so a short run prints nothing, and is redrawn at most every ``_INTERVAL`` seconds. Each drawing is
``\\r``, the text and ``ESC [ K`` (clear to the end of the line); the end of the work writes ``\\r ESC [ K``,
so what the command prints next starts on an empty line and looks exactly as without the progress line.
The text is plain, nothing for ``NO_COLOR`` to turn off. A stderr that fails (closed, hung up) ends the
line quietly: it never raises into the command.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["progress_line"]

_DELAY = 0.5
"""Seconds of work before the line appears."""
_INTERVAL = 0.1
"""Seconds between two drawings, at least."""
_ERASE = "\x1b[K"


@contextlib.contextmanager
def progress_line(verb: str, noun: str, *, quiet: bool = False) -> Iterator[Callable[[int, int], None] | None]:
    """A callback ``(done, total)`` drawing ``{verb} {done}/{total} {noun}s`` on stderr while the block runs,
    erased when it ends (an exception too); ``None`` where no line is drawn (see the module's docstring)."""
    line = _Line.on_stderr(verb, noun) if not quiet else None
    if line is None:
        yield None
        return
    try:
        yield line.update
    finally:
        line.erase()


class _Line:
    """The line on one terminal: when it was last drawn, and whether its stream still works."""

    def __init__(self, stream: TextIO, verb: str, noun: str, width: int) -> None:
        self._stream: TextIO | None = stream
        self._verb, self._noun, self._width = verb, noun, width
        self._started = time.monotonic()
        self._drawn: float | None = None

    @classmethod
    def on_stderr(cls, verb: str, noun: str) -> _Line | None:
        """The line on stderr, or ``None`` where none is drawn."""
        from manifold.config import process_environment  # with dataclasses: not for --help

        stream = sys.stderr
        try:
            if stream is None or not stream.isatty() or process_environment().get("TERM") == "dumb":
                return None
            width = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return None
        return cls(stream, verb, noun, width)

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._started < _DELAY or (self._drawn is not None and now - self._drawn < _INTERVAL):
            return
        noun = self._noun if total == 1 else f"{self._noun}s"
        text = f"{self._verb} {done:,}/{total:,} {noun}"
        if self._width > 1:  # one line, never wrapped (0: a terminal that does not say its width)
            text = text[: self._width - 1]
        self._write(f"\r{text}{_ERASE}")
        self._drawn = now

    def erase(self) -> None:
        if self._drawn is not None:
            self._write(f"\r{_ERASE}")

    def _write(self, text: str) -> None:
        if self._stream is None:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except Exception:  # closed or gone: the command goes on without its progress line
            self._stream = None
