"""One manifest file after reading (or from the manifest cache): its data, diagnostics and value."""

from __future__ import annotations

import marshal
import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from manifold._values import field, value_type
from manifold.manifest.diagnostics import Diagnostic, internal_error, place
from manifold.manifest.model import Manifest

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from manifold.manifest.diagnostics import Problem

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
    table: bytes | None = field(default=None, compare=False, repr=False)
    """``data`` as ``marshal`` stores it, when it came so (from another process, from the manifest cache):
    kept, to be stored again as it is (``marshalled``)."""

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

    def marshalled(self) -> bytes | None:
        """``data`` as ``marshal`` stores it (the caches keep it so); None without data, or when marshal cannot
        store it (a TOML date)."""
        if self.table is not None or self.data is None:
            return self.table
        try:
            return marshal.dumps(self.data if type(self.data) is dict else dict(self.data))
        except ValueError:
            return None

    def to_wire(self) -> tuple[Any, ...]:
        """This file as ``marshal`` stores it, for ``from_wire`` in another process, which builds the manifest
        from ``data`` when the file has no errors (so the manifest is not sent, and need not have been built).

        Raises ValueError for a bundle member, whose placing is a function (members are read where their
        bundle is)."""
        if self.relocate is not None or self.folder is not None:
            raise ValueError(f"{self.file}: a bundle member is not sent to another process")
        diagnostics = tuple(d.fields() for d in self.diagnostics)
        table = self.marshalled()  # sent as bytes, which this process keeps for the caches
        return self.file, diagnostics, self.text, self.data if table is None else table, self.plugin_id

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...], root: Traversable) -> ParsedFile:
        """The file ``to_wire`` gave, of the plugin folder ``root``, with its manifest built."""
        file, diagnostics, text, data, plugin_id = wire
        table = data if type(data) is bytes else None
        found = tuple(Diagnostic(*fields) for fields in diagnostics)
        return cls.checked(file, root, found, text, data if table is None else marshal.loads(table), plugin_id, table)

    @classmethod
    def checked(
        cls,
        file: str,
        root: Traversable,
        diagnostics: tuple[Diagnostic, ...],
        text: str | None,
        data: Mapping[str, Any] | None,
        plugin_id: str | None,
        table: bytes | None = None,
        *,
        build: bool = True,
    ) -> ParsedFile:
        """A readable file whose data were checked, with its manifest when it has no errors and ``build``
        (a failure to build it is an ``internal-error`` diagnostic of the file)."""
        manifest = None
        if build and data is not None and not any(d.severity == "error" for d in diagnostics):
            try:
                manifest = Manifest.from_data(data, file=file, root=root)
            except Exception as e:
                diagnostics = (*diagnostics, internal_error(e, file))
        return cls(file, root, diagnostics, manifest, text, data, plugin_id, table=table)

    def place(self, problems: Iterable[Problem]) -> list[Diagnostic]:
        """Problems found in ``data``, as diagnostics at their lines in ``file``."""
        return place([self.relocated(p) for p in problems], file=self.file, text=self.text, plugin=self.plugin_id)
