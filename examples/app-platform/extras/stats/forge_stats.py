from starlette.responses import JSONResponse


async def stats(request):
    return JSONResponse({"posts": 1})
