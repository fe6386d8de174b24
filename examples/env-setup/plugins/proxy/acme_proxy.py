"""An async setup_environment: looks the proxy up (here: a constant) and returns it."""

import asyncio
from urllib.parse import urlsplit


async def setup_environment(ctx):
    await asyncio.sleep(0)  # a real plugin would ask a discovery service
    host = urlsplit(ctx.api_url).hostname
    return {"HTTPS_PROXY": "http://proxy.acme.internal:3128", "NO_PROXY": host}
