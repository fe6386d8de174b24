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

    The temporary file (hidden: ``.<name>.<random>.tmp``) is written (``str`` as text in
    ``encoding``, with the platform's line endings), fsynced, given the permissions ``mode`` and
    passed to ``check``, when given, before it replaces ``target``. Any failure on the way (an
    error, an interrupt, an exception from ``check``) removes the temporary file and leaves
    ``target`` as it was. ``parents`` creates the missing folders of ``target`` first.
    """
    import tempfile  # only when a file is written: a warm start never imports it

    path = Path(target)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):  # as a file opened for text writes it
        data = data.replace("\n", os.linesep).encode(encoding)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        if check is not None:
            check(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
