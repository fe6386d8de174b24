"""What formatters implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Note:
    title: str
    body: str


@runtime_checkable
class Formatter(Protocol):
    def render(self, note: Note) -> str: ...
