"""An async setup_environment that hangs (a vault that never answers)."""

import asyncio


async def setup_environment(ctx):
    await asyncio.Event().wait()  # nobody ever sets it
    return {"DB_PASSWORD": "never reached"}
