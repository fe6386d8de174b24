from fmt_core.api import Formatter, Lifecycle as Plugin  # noqa: F401 (the plugin class)


class CsvFormatter(Formatter):
    name = "csv"

    def render(self, record):
        return ",".join(record) + "; " + ",".join(str(v) for v in record.values())
