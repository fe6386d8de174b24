import json

from fmt_core.api import Formatter, Lifecycle as Plugin  # noqa: F401 (the plugin class)


class JsonFormatter(Formatter):
    name = "json"

    def render(self, record):
        return json.dumps(record, sort_keys=True)
