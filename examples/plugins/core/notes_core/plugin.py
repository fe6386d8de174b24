"""The core plugin object: it receives the host's lifecycle calls."""

from __future__ import annotations

from typing import Any


class CorePlugin:
    def __init__(self, context: Any) -> None:
        self.context = context
        self.active = False

    def activate(self) -> None:
        self.active = True

    def deactivate(self) -> None:
        self.active = False
