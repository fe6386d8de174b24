"""The plugin object of acme.kettle: it receives the host's lifecycle calls."""

from __future__ import annotations

from typing import Any


class KettlePlugin:
    def __init__(self, context: Any) -> None:
        self.context = context

    def activate(self) -> None:
        self.context.logger.info("kettle ready")

    def deactivate(self) -> None:
        self.context.logger.info("kettle off")
