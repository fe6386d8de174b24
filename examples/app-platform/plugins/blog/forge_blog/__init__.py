"""The blog: a route, migrations, messages, settings with change notification, and health."""

from starlette.responses import JSONResponse

GREETING = "Welcome"
_plugin = None


class Plugin:
    def __init__(self, context):
        global _plugin
        self.settings = dict(context.settings)
        _plugin = self

    def settings_changed(self, old, new):
        print(f"  forge.blog: title {old['title']!r} -> {new['title']!r}")
        self.settings = dict(new)

    def health(self):
        return {"status": "ok", "per-page": self.settings["per-page"]}


async def posts(request):
    return JSONResponse({"title": _plugin.settings["title"], "greeting": GREETING})
