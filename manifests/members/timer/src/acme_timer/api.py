"""The interface of the acme.teatime.timer.sounds point."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Sound(Protocol):
    def play(self, volume: int) -> str: ...
