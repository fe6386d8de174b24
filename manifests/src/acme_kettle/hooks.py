"""The implementation acme.kettle contributes to its on_boil hook."""

from __future__ import annotations

from typing import Any


def announce_boil(kettle: Any, temperature: float) -> str | None:
    return f"{kettle} boiled at {temperature:.0f} °C" if temperature >= 100 else None
