"""The interface of the acme.kettle.heaters point."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Heater(Protocol):
    watts: int

    def heat(self, seconds: float) -> float: ...
