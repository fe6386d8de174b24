"""The one TOML reader, for manifests, bundles, the host configuration and packing: read, decode, parse,
and say where a file is not TOML (its line and column)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tomli import TOMLDecodeError, loads  # tomllib's parser (tomllib is tomli 2.0), compiled: ~1.8x faster

from manifold._values import value_type
from manifold.manifest.diagnostics import Diagnostic
from manifold.manifest.limits import DEFAULT_MANIFEST_LIMITS, ManifestLimits, may_nest_deeper, read_bounded, too_deep
from manifold.manifest.locate import Locator, format_path, nesting_position

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["TomlFile", "loads", "read_toml"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


@value_type
class TomlFile:
    """A TOML file after reading: its text and data, or (``data`` is ``None``) the error saying why not."""

    text: str | None = None
    data: dict[str, Any] | None = None
    error: Diagnostic | None = None


def read_toml(
    source: Traversable, *, file: str, what: str = "manifest", limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS
) -> TomlFile:
    """Read, decode (UTF-8) and parse the TOML file ``source``, named ``file`` in messages, where it is
    called ``the {what}`` (a manifest, the configuration).

    A file beyond ``limits`` (larger than ``max_size`` bytes, of which no more are read, or nested
    deeper than ``max_depth``) is an error with the code ``limit``; nothing in it is used.
    """
    try:
        with source.open("rb") as stream:
            raw = read_bounded(stream, limits.max_size)
    except OSError as e:
        reason = e.strerror or str(e)
        return TomlFile(error=Diagnostic("error", "read-error", f"cannot read the {what}: {reason}", file))
    if len(raw) > limits.max_size:
        message = f"the {what} is larger than {limits.max_size} bytes, the limit for one file; it is not read"
        return TomlFile(error=Diagnostic("error", "limit", message, file))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        message = f"the {what} is not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded"
        return TomlFile(error=Diagnostic("error", "encoding", message, file, line, column))
    try:
        data = loads(text)
    except TOMLDecodeError as e:
        return TomlFile(text, error=_syntax_diagnostic(e, file, text))
    except RecursionError:  # the parser recurses into inline arrays and tables
        position = nesting_position(text, limits.max_depth)
        message = f"the {what} nests arrays and tables more than {limits.max_depth} levels deep, the limit"
        at_line = position.line if position is not None else None
        at_column = position.column if position is not None else None
        return TomlFile(text, error=Diagnostic("error", "limit", message, file, at_line, at_column))
    deep = too_deep(data, limits.max_depth) if may_nest_deeper(text, limits.max_depth) else None
    if deep is not None:
        path = deep[1]
        where = Locator(text).nearest(path)[1]
        name = format_path(path) or f"the {what}"
        message = f"{name}: arrays and tables nested more than {limits.max_depth} levels deep, the limit"
        at_line = where.line if where is not None else None
        at_column = where.column if where is not None else None
        return TomlFile(text, error=Diagnostic("error", "limit", message, file, at_line, at_column, format_path(path)))
    return TomlFile(text, data)


def _syntax_diagnostic(error: TOMLDecodeError, file: str, text: str) -> Diagnostic:
    message = str(error)
    line = column = None
    if match := _TOML_POSITION.search(message):
        line, column = int(match[1]), int(match[2])
        message = message[: match.start()]
    elif match := _TOML_END.search(message):
        lines = text.split("\n")  # TOML counts lines by "\n" only (splitlines would also split on \x1e, \f, ...)
        line, column = len(lines), len(lines[-1]) + 1
        message = message[: match.start()] + " at the end of the file"
    return Diagnostic("error", "toml-syntax", f"invalid TOML: {message}", file, line, column)
