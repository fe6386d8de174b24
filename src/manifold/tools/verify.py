"""Checking archives as a host does before loading them, each with its SHA-256 to compare with the published one.

An archive is read by the very function a host's sources read it with: the safety rules and the hash
list, then a ``plugin.toml`` or ``bundle.toml`` at its root, then every manifest in it; whatever would
keep a plugin of the archive from loading is a problem here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifold.errors import UsageError
from manifold.manifest.diagnostics import Diagnostic
from manifold.sources.archives import DEFAULT_LIMITS, ArchiveLimits, file_sha256, is_archive_folder, is_archive_name

__all__ = ["Verified", "verify_archive", "verify_archives"]


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
    """Check every archive in ``files`` as a host reads it: its name, the safety rules (the default limits,
    except those given), its hash list, its root and its manifests. Raises UsageError, before checking
    any, when one of them is not a file."""
    missing = [name for name in files if not Path(name).is_file()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file")
    given: dict[str, Any] = {"max_entry_size": max_entry_size, "max_total_size": max_total_size, "max_ratio": max_ratio}
    limits = dataclasses.replace(DEFAULT_LIMITS, **{key: value for key, value in given.items() if value is not None})
    return tuple(Verified(name, _problems(name, limits), file_sha256(name)) for name in files)


def verify_archive(path: str | os.PathLike[str], *, limits: ArchiveLimits = DEFAULT_LIMITS) -> tuple[Diagnostic, ...]:
    """Every reason a host would not load (all of) the archive at ``path``, read as its sources read it:
    the safety rules, the hash list, a manifest at its root and every manifest in it; ``()`` when sound."""
    return _problems(os.fspath(path), limits)


def _problems(name: str, limits: ArchiveLimits) -> tuple[Diagnostic, ...]:
    """Why a host would not load (all of) the archive ``name``: the errors of reading it as a source does."""
    from manifold.sources.scan import find_manifests

    if not is_archive_name(name):
        message = "is not named *.mfz or *.zip; a host reads an archive by such a name only"
        return (Diagnostic("error", "bad-archive", message, name),)
    locations = find_manifests(name, limits=limits)
    try:
        found = [location.read() for location in locations]
    finally:
        for location in locations:  # the archive stays open for reading; once checked, it is closed
            if is_archive_folder(location.root):
                location.root.root.close()
    return tuple(d for parsed in found for d in parsed.diagnostics if d.severity == "error")
