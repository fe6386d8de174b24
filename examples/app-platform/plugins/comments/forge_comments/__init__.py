from starlette.responses import JSONResponse


async def comments(request):
    return JSONResponse({"comments": []})
