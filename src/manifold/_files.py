"""Writing a file atomically: readers see the old content or the new, never a part, and a failure leaves no trace."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(
    target: str | os.PathLike[str],
    data: bytes | str,
    *,
    encoding: str = "utf-8",
    parents: bool = False,
    mode: int = 0o644,
    check: Callable[[Path], object] | None = None,
) -> None:
    """Write ``data`` to ``target`` through a temporary file in its folder, then ``os.replace`` it.

    The temporary file (hidden: ``.<name>.<random>.tmp``, created exclusively) is written (``str`` as text in
    ``encoding``, with the platform's line endings), fsynced, given the permissions ``mode`` and
    passed to ``check``, when given, before it replaces ``target``. Any failure on the way (an
    error, an interrupt, an exception from ``check``) removes the temporary file and leaves
    ``target`` as it was. ``parents`` creates the missing folders of ``target`` first.
    """
    path = Path(target)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):  # as a file opened for text writes it
        data = data.replace("\n", os.linesep).encode(encoding)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    temporary = path.parent / f".{path.name}.{_token()}.tmp"
    # Named before anything is created, so that an exception at any point (a signal handler's
    # included, even one raised before os.open returned) finds the name to remove.
    try:
        while True:
            try:
                fd = os.open(temporary, flags, 0o600)
                break
            except FileExistsError:  # not ours: another name
                temporary = path.parent / f".{path.name}.{_token()}.tmp"
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        if check is not None:
            check(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _token() -> str:
    """16 random hex digits for a temporary file's name (what ``secrets.token_hex(8)`` returns, without
    importing ``secrets``: it loads hashlib, OpenSSL, random and hmac, ~5 ms of a cold start)."""
    return os.urandom(8).hex()
