from fmt_core.api import Formatter, Lifecycle


class Plugin(Lifecycle):
    def activate(self):
        raise RuntimeError("no XML library installed")


class XmlFormatter(Formatter):
    name = "xml"

    def render(self, record):
        return "<record/>"
