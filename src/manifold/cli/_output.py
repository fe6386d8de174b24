"""Printing for the commands: aligned tables, colour only on a terminal (never with NO_COLOR), JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from manifold.config import process_environment

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}


def colour_enabled() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in process_environment()


def paint(text: str, colour: str) -> str:
    return f"\033[{_COLOURS[colour]}m{text}\033[0m" if colour_enabled() else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned to their widest cell, headers underlined with dashes."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


STATE_COLOURS = {
    "active": "green",
    "resolved": "green",
    "loaded": "green",
    "inactive": "dim",
    "filtered": "yellow",
    "unresolved": "yellow",
    "failed": "red",
}
