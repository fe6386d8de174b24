"""Read one manifest file: decode, parse the TOML, validate it, and build the Manifest value."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

from manifold._words import show
from manifold.diagnostics import Diagnostic, Problem
from manifold.locate import Locator, format_path
from manifold.manifest import MANIFEST_VERSIONS, Manifest
from manifold.schema import schema_problems
from manifold.semantics import check_semantics

__all__ = ["ParsedFile", "parse_manifest", "place"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


@dataclass(frozen=True, slots=True)
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

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def parse_manifest(source: Traversable, *, file: str, root: Traversable) -> ParsedFile:
    """Read and validate the manifest at ``source`` (named ``file`` in messages) of the plugin in ``root``."""
    try:
        raw = source.read_bytes()
    except OSError as e:
        reason = e.strerror or str(e)
        return ParsedFile(
            file,
            root,
            (Diagnostic("error", "read-error", f"cannot read the manifest: {reason}", file),),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        message = f"the manifest is not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded"
        return ParsedFile(file, root, (Diagnostic("error", "encoding", message, file, line, column),))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        return ParsedFile(file, root, (_syntax_diagnostic(e, file, text),), text=text)
    problems = _version_problems(data)
    if not problems:
        semantic = check_semantics(data, root)
        # Where a semantic check speaks of a key, its words are more precise than the schema's pattern.
        covered = {p.path for p in semantic}
        problems = [p for p in schema_problems("plugin", data) if p.path not in covered] + semantic
    plugin_id = _plugin_id(data)
    diagnostics = tuple(place(problems, file=file, text=text, plugin=plugin_id))
    manifest = None
    if not any(d.severity == "error" for d in diagnostics):
        manifest = Manifest.from_data(data, file=file, root=root)
    return ParsedFile(file, root, diagnostics, manifest, text, data, plugin_id)


def place(problems: Iterable[Problem], *, file: str, text: str | None, plugin: str | None) -> list[Diagnostic]:
    """Turn problems into diagnostics placed at their key's line and column in ``text``."""
    problems = list(problems)
    if not problems:
        return []
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


def _syntax_diagnostic(error: tomllib.TOMLDecodeError, file: str, text: str) -> Diagnostic:
    message = str(error)
    line = column = None
    if match := _TOML_POSITION.search(message):
        line, column = int(match[1]), int(match[2])
        message = message[: match.start()]
    elif match := _TOML_END.search(message):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = message[: match.start()] + " at the end of the file"
    return Diagnostic("error", "toml-syntax", f"invalid TOML: {message}", file, line, column)


def _version_problems(data: Mapping[str, Any]) -> list[Problem]:
    version = data.get("manifest-version", 1)
    if type(version) is int and version in MANIFEST_VERSIONS:
        return []
    readable = ", ".join(str(v) for v in MANIFEST_VERSIONS)
    return [
        Problem(
            "manifest-version",
            ("manifest-version",),
            f"manifest-version: {show(version)} is not a manifest version this manifold reads "
            f"(it reads version {readable}); upgrade manifold or write the manifest for version {readable}",
        )
    ]


def _plugin_id(data: Mapping[str, Any]) -> str | None:
    plugin = data.get("plugin")
    plugin_id = plugin.get("id") if isinstance(plugin, dict) else None
    return plugin_id if isinstance(plugin_id, str) and plugin_id else None
