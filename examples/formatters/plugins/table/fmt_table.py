"""Needs fmt.json: it renders the JSON of a record as a boxed table row."""

from fmt_core.api import Formatter, Lifecycle as Plugin  # noqa: F401 (the plugin class)
from fmt_json import JsonFormatter


class TableFormatter(Formatter):
    name = "table"

    def render(self, record):
        text = JsonFormatter().render(record)
        return f"| {text} |"
