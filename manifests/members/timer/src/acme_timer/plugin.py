"""The plugin object of acme.teatime.timer, its clock hook and its bell."""

from __future__ import annotations

from typing import Any


class TimerPlugin:
    def __init__(self, context: Any) -> None:
        self.context = context

    def activate(self) -> None:
        self.context.logger.info("timer set to %d minutes", self.context.settings["minutes"])


def on_tick(seconds: int) -> str | None:
    return "tea is ready" if seconds >= 180 else None


class Bell:
    def play(self, volume: int) -> str:
        return "ding" * max(volume // 3, 1)
