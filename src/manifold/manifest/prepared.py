"""Manifests read while their source was scanned (bundle members, refused archives), passed on as they are.

A bundle's members are known only by reading the bundle file, and an archive is checked before
anything in it is read; both yield their results while the source is scanned. ``parse_manifest``
hands such a result back unchanged, so every reader of manifest locations (the manager, the
validator, a cache) treats them like any other manifest file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manifold.manifest.parsed import ParsedFile

__all__ = ["PreparedManifest"]


class PreparedManifest(Traversable):
    """The file a prepared manifest was read from (``file``), and what reading it gave (``parsed``).

    It reads like ``file`` itself; ``key`` tells prepared manifests of one file apart (one per
    member of a bundle) and is what ``str()`` gives. It is deliberately not a path (no
    ``__fspath__``): a prepared manifest is not one file's own content, so nothing may cache it
    by file name and modification time.
    """

    def __init__(self, file: Traversable, parsed: ParsedFile, key: str) -> None:
        self.file = file
        self.parsed = parsed
        self.key = key

    def __str__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"<PreparedManifest {self.key}>"

    @property
    def name(self) -> str:
        return self.file.name

    def iterdir(self) -> Iterator[Traversable]:
        return self.file.iterdir()

    def is_dir(self) -> bool:
        return self.file.is_dir()

    def is_file(self) -> bool:
        return self.file.is_file()

    def joinpath(self, *descendants: str | os.PathLike[str]) -> Traversable:
        return self.file.joinpath(*descendants)

    def __truediv__(self, child: str | os.PathLike[str]) -> Traversable:
        return self.file / child

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        return self.file.open(mode, *args, **kwargs)  # type: ignore[call-overload,no-any-return]

    def read_bytes(self) -> bytes:
        return self.file.read_bytes()

    def read_text(self, encoding: str | None = None) -> str:
        return self.file.read_text(encoding)
