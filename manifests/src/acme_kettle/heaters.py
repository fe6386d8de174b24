"""The heater acme.kettle contributes to its own point."""

from __future__ import annotations


class CoilHeater:
    def __init__(self, watts: int = 2200) -> None:
        self.watts = watts

    def heat(self, seconds: float) -> float:
        return self.watts * seconds
