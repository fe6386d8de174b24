"""The blog: a route, migrations, messages, settings with change notification, and health."""

from starlette.responses import JSONResponse

GREETING = "Welcome"


class Blog:
    """The plugin object; its route is one of its methods (``ref = "forge_blog:Blog.posts"``)."""

    def __init__(self, context):
        self.settings = context.settings  # live: shows the host's updates

    def settings_changed(self, old, new):
        print(f"  forge.blog: title {old['title']!r} -> {new['title']!r}")

    def health(self):
        return {"status": "ok", "per-page": self.settings["per-page"]}

    async def posts(self, request):
        return JSONResponse({"title": self.settings["title"], "greeting": GREETING})
