"""首页 and 帮助中心."""
from starlette.requests import Request

from web import current_session, render


async def index(request: Request):
    await current_session(request)
    return render(request, "home/index.html")


async def help_centre(request: Request):
    await current_session(request)
    return render(request, "help/index.html")
