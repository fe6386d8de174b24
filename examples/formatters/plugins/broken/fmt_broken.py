"""Contributes something that is not a Formatter: the host is told, the others keep working."""

from fmt_core.api import Lifecycle as Plugin  # noqa: F401 (the plugin class)


class NotAFormatter:
    def render(self, record):
        return "?"
