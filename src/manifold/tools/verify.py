"""Checking archives as a host does before loading them, each with its SHA-256 to compare with the published one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifold.errors import UsageError
from manifold.manifest.diagnostics import Diagnostic
from manifold.sources.archives import DEFAULT_LIMITS, file_sha256, verify_archive

__all__ = ["Verified", "verify_archives"]


@dataclass(frozen=True, slots=True)
class Verified:
    """One archive checked: its name as given, every problem found (none when it is sound) and its SHA-256."""

    file: str
    problems: tuple[Diagnostic, ...]
    sha256: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archives(
    files: Sequence[str],
    *,
    max_entry_size: int | None = None,
    max_total_size: int | None = None,
    max_ratio: float | None = None,
) -> tuple[Verified, ...]:
    """Check every archive in ``files`` against the safety rules (the default limits, except those given)
    and its hash list. Raises UsageError, before checking any, when one of them is not a file."""
    missing = [name for name in files if not Path(name).is_file()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file")
    given: dict[str, Any] = {"max_entry_size": max_entry_size, "max_total_size": max_total_size, "max_ratio": max_ratio}
    limits = dataclasses.replace(DEFAULT_LIMITS, **{key: value for key, value in given.items() if value is not None})
    return tuple(Verified(name, verify_archive(name, limits=limits), file_sha256(name)) for name in files)
