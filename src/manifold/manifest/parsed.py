"""One manifest file after reading (or from the manifest cache): its data, diagnostics and value."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from manifold._values import value_type
from manifold.manifest.diagnostics import Diagnostic, place

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from manifold.manifest.diagnostics import Problem
    from manifold.manifest.model import Manifest

__all__ = ["ParsedFile"]


@value_type
class ParsedFile:
    """One manifest file after reading: its data and text when readable, its diagnostics, its value.

    ``manifest`` is set only when the file has no errors. ``plugin_id`` is known whenever the
    file names a well-formed id, even if something else in it is wrong.
    """

    file: str
    root: Traversable
    diagnostics: tuple[Diagnostic, ...]
    manifest: Manifest | None = None
    text: str | None = None
    data: Mapping[str, Any] | None = None
    plugin_id: str | None = None
    folder: str | None = None
    """The plugin folder's name in messages, when it is not the folder of ``file`` (a bundle member)."""
    relocate: Callable[[Problem], Problem] | None = None
    """Moves a problem found in the ``plugin.toml``-shaped ``data`` to where it is written in ``file``
    (a bundle member's keys are under ``plugins[i]``); ``None``: they are written where found."""

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def plugin_folder(self) -> str:
        """The plugin folder's name in messages."""
        return self.folder if self.folder is not None else posixpath.dirname(self.file.replace("\\", "/"))

    def relocated(self, problem: Problem) -> Problem:
        """``problem`` (found in ``data``) with the key path and words of where it is in ``file``."""
        return problem if self.relocate is None else self.relocate(problem)

    def to_wire(self) -> tuple[Any, ...] | None:
        """This file as ``marshal`` stores it, for ``from_wire`` in another process (which builds the
        manifest again from ``data``); None when it holds what marshal cannot (a bundle member's placing)."""
        if self.relocate is not None or self.folder is not None:
            return None
        diagnostics = tuple(d.fields() for d in self.diagnostics)
        return self.file, diagnostics, self.manifest is not None, self.text, self.data, self.plugin_id

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...], root: Traversable) -> ParsedFile:
        """The file ``to_wire`` gave, of the plugin folder ``root``."""
        from manifold.manifest.model import Manifest

        file, diagnostics, valid, text, data, plugin_id = wire
        manifest = Manifest.from_data(data, file=file, root=root) if valid else None
        return cls(file, root, tuple(Diagnostic(*fields) for fields in diagnostics), manifest, text, data, plugin_id)

    def place(self, problems: Iterable[Problem]) -> list[Diagnostic]:
        """Problems found in ``data``, as diagnostics at their lines in ``file``."""
        return place([self.relocated(p) for p in problems], file=self.file, text=self.text, plugin=self.plugin_id)
