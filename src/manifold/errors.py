"""The tree of errors manifold raises; each one says where the problem is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manifold.diagnostics import Diagnostic

__all__ = ["ManifestError", "ManifoldError", "UsageError"]


class ManifoldError(Exception):
    """Base class of every error manifold raises on purpose."""


class UsageError(ManifoldError, ValueError):
    """The caller asked for something that cannot be done (a missing path, a bad option)."""


class ManifestError(ManifoldError, ValueError):
    """A manifest is not valid; ``diagnostics`` holds every problem found, each with its place."""

    def __init__(self, file: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.file = file
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"] or list(diagnostics)
        lines = "\n".join(d.format() for d in errors)
        super().__init__(f"{file} is not a valid manifest:\n{lines}")
