"""Printing for the commands: every line through one escaping helper, aligned tables, colour only on a terminal
(never with NO_COLOR), strict JSON.

Text from manifests, plugins and file names reaches a terminal only through ``clean``: a control
character (C0 other than newline and tab, DEL, C1), a line or paragraph separator, a bidirectional
override or a lone surrogate is printed as its escape (``\\x1b``, ``\\u202e``), so a manifest cannot
move the cursor, recolour, retitle or rewrite the terminal, nor hide text. JSON is strict: a float
JSON cannot carry (``nan``, ``inf``, ``-inf``, which TOML allows) is written as that TOML word, a
string, and the characters above are ``\\u`` escapes.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["STATE_COLOURS", "Cell", "clean", "colour_enabled", "json_text", "print_json", "print_table", "say", "table"]

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}
_FORMAT = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides


@functools.cache
def _unsafe(kind: Literal["line", "text", "json"]) -> re.Pattern[str]:
    """The characters escaped in a ``line`` (a cell), a ``text`` (keeping newlines and tabs) or ``json``
    (json.dumps escapes C0 itself); compiled on first use: ``--help`` prints none of them."""
    controls = {"line": "\x00-\x1f", "text": "\x00-\x08\x0b-\x1f", "json": ""}[kind]
    return re.compile(f"[{controls}\x7f-\x9f\u2028\u2029{_FORMAT}\ud800-\udfff]")


Cell = str | tuple[str, str]
"""A table cell: its text, or ``(text, colour)``."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, *, lines: bool = True) -> str:
    """``text`` safe for a terminal: control characters and the like as escapes; ``lines=False`` escapes
    newlines and tabs too (one table cell, one diagnostic)."""
    return _unsafe("text" if lines else "line").sub(_escape, text)


def say(text: str = "", *, err: bool = False, lines: bool = True) -> None:
    """Print ``text`` (cleaned, see ``clean``) to stdout, or stderr with ``err``."""
    print(clean(text, lines=lines), file=sys.stderr if err else sys.stdout)


def colour_enabled() -> bool:
    from manifold.config import process_environment  # with dataclasses: not for --help

    environ = process_environment()
    if environ.get("NO_COLOR"):  # https://no-color.org: set and not empty
        return False
    if environ.get("FORCE_COLOR"):  # set and not empty: colour even into a pipe or a file
        return True
    return sys.stdout.isatty()


def _paint(text: str, colour: str | None) -> str:
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if colour is not None and colour_enabled() else text


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """Columns aligned to their widest cell, headers underlined with dashes; every cell cleaned, one line each,
    and painted (a ``(text, colour)`` cell) after it is aligned."""
    cells = [
        [(clean(c, lines=False), None) if isinstance(c, str) else (clean(c[0], lines=False), c[1]) for c in r]
        for r in rows
    ]
    widths = [max([len(h), *(len(r[i][0]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        padded = [_paint(text, colour) + " " * (w - len(text)) for (text, colour), w in zip(row, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, empty: str) -> None:
    """Print ``table(headers, rows)`` (already clean, maybe in colour), or ``empty`` when there are no rows."""
    print(table(headers, rows) if rows else clean(empty))


def count_footer(states: Sequence[str]) -> str:
    """``3 plugins: 2 active, 1 filtered``: how many plugins a table shows, by state in the lifecycle's order."""
    from typing import get_args

    from manifold.states import State

    counts = {state: states.count(state) for state in get_args(State) if state in states}
    noun = "plugin" if len(states) == 1 else "plugins"
    return f"{len(states)} {noun}" + (": " + ", ".join(f"{n} {state}" for state, n in counts.items()) if counts else "")


def _finite(value: Any) -> Any:
    """``value`` with every float JSON cannot carry replaced by its TOML word (``"nan"``, ``"inf"``, ``"-inf"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_text(value: Any) -> str:
    """Strict JSON for ``value`` (see the module's docstring), indented."""
    import json

    text = json.dumps(_finite(value), indent=2, ensure_ascii=False, allow_nan=False, default=str)
    return _unsafe("json").sub(lambda match: f"\\u{ord(match[0]):04x}", text)  # only ever inside strings


def print_json(value: Any) -> None:
    print(json_text(value))


STATE_COLOURS = {
    "active": "green",
    "resolved": "green",
    "loaded": "green",
    "inactive": "dim",
    "filtered": "yellow",
    "unresolved": "yellow",
    "failed": "red",
}
