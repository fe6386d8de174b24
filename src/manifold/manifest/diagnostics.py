"""Diagnostics: one problem found in a manifest, with its file, key path and line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from manifold._values import value_type
from manifold.codes import DiagnosticCode
from manifold.errors import describe

if TYPE_CHECKING:
    from manifold.manifest.locate import KeyPath

__all__ = ["Diagnostic", "Problem", "Severity", "capped", "internal_error", "place"]

Severity = Literal["error", "warning"]


@value_type
class Diagnostic:
    """One problem: its severity, a stable kebab-case code, a message for a person, and where it is."""

    severity: Severity
    code: DiagnosticCode
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    plugin: str | None = None

    def format(self) -> str:
        """``file:line:column: severity[code]: message``, the way compilers and linters print."""
        where = [part for part in (self.file, self.line, self.column) if part is not None]
        prefix = ":".join(str(part) for part in where)
        head = f"{prefix}: " if prefix else ""
        return f"{head}{self.severity}[{self.code}]: {self.message}"

    def format_github(self) -> str:
        """A GitHub Actions workflow command that annotates the line in the pull request."""
        props = [f"file={_escape_property(self.file)}"] if self.file else []
        if self.line is not None:
            props.append(f"line={self.line}")
        if self.column is not None:
            props.append(f"col={self.column}")
        props.append(f"title={_escape_property(f'manifold {self.code}')}")
        return f"::{self.severity} {','.join(props)}::{_escape_data(self.message)}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnostic:
        """The diagnostic ``to_dict`` gave (e.g. read back from JSON)."""
        return cls(**data)

    def fields(self) -> tuple[Any, ...]:
        """The fields in order, as ``marshal`` stores them: ``Diagnostic(*fields)`` is this diagnostic again."""
        return tuple(self.to_dict().values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "plugin": self.plugin,
        }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def sort_diagnostics(diagnostics: Iterable[Diagnostic], files: Sequence[str]) -> tuple[Diagnostic, ...]:
    """Order diagnostics by the order files were given, then by line and column."""
    rank = {name: i for i, name in enumerate(files)}

    def key(d: Diagnostic) -> tuple[int, str, int, int]:
        file = d.file or ""
        return (rank.get(file, len(rank)), file, d.line or 0, d.column or 0)

    return tuple(sorted(diagnostics, key=key))


@value_type
class Problem:
    """A problem found in a manifest's data, before it is placed in the text: code, key path, words."""

    code: DiagnosticCode
    path: KeyPath
    message: str
    severity: Severity = "error"


def place(problems: Iterable[Problem], *, file: str, text: str | None, plugin: str | None) -> list[Diagnostic]:
    """Turn problems into diagnostics placed at their key's line and column in ``text``."""
    problems = list(problems)
    if not problems:
        return []
    from manifold.manifest.locate import Locator, format_path  # the TOML locator: only when there is a problem

    locator = Locator(text) if text is not None else None
    placed = []
    for problem in problems:
        position = None
        if locator is not None:
            position = locator.find(problem.path) or locator.nearest(problem.path)[1]
        placed.append(
            Diagnostic(
                problem.severity,
                problem.code,
                problem.message,
                file,
                position.line if position else None,
                position.column if position else None,
                format_path(problem.path) or None,
                plugin,
            )
        )
    placed.sort(key=lambda d: (d.line or 0, d.column or 0))
    return placed


@functools.cache
def _left_out() -> re.Pattern[str]:
    """The words of an earlier cut's ``limit`` line (compiled on first use: a host's start caps no diagnostics)."""
    return re.compile(r"(\d+) more problems? of this file (?:is|are) left out")


def capped(diagnostics: Iterable[Diagnostic], limit: int) -> tuple[Diagnostic, ...]:
    """At most ``limit`` diagnostics per file, in their order, then one ``limit`` line per file saying how
    many more were left out (an error if any of them is). Lines of an earlier cut are counted, not kept."""
    kept: list[Diagnostic] = []
    counts: dict[str | None, int] = {}
    left_out: dict[str | None, list[int]] = {}  # file -> [how many, whether one is an error]
    for d in diagnostics:
        earlier = _left_out().fullmatch(d.message.split(":", 1)[0]) if d.code == "limit" and d.line is None else None
        if earlier is None and counts.get(d.file, 0) < limit:
            counts[d.file] = counts.get(d.file, 0) + 1
            kept.append(d)
            continue
        entry = left_out.setdefault(d.file, [0, 0])
        entry[0] += int(earlier[1]) if earlier is not None else 1
        entry[1] |= d.severity == "error"
    if not left_out:
        return tuple(kept)
    last = {d.file: i for i, d in enumerate(kept)}
    after: dict[int, list[Diagnostic]] = {}
    for file, (count, error) in left_out.items():
        counted = f"{count} more problem of this file is" if count == 1 else f"{count} more problems of this file are"
        message = f"{counted} left out: at most {limit} are reported"
        line = Diagnostic("error" if error else "warning", "limit", message, file)
        after.setdefault(last.get(file, len(kept) - 1), []).append(line)
    result: list[Diagnostic] = list(after.get(-1, []))
    for i, d in enumerate(kept):
        result.append(d)
        result += after.get(i, [])
    return tuple(result)


def internal_error(error: BaseException, file: str | None, *, plugin: str | None = None) -> Diagnostic:
    """The diagnostic of an exception raised while manifold read or checked ``file``: the file is
    refused, the others are read on."""
    message = (
        f"manifold failed while reading or checking this file ({describe(error, limit=200)}); the file is not used"
    )
    return Diagnostic("error", "internal-error", message, file, plugin=plugin)
