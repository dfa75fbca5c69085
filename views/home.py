"""首页 and 帮助中心."""
from starlette.requests import Request

from web.render import render


async def index(request: Request):
    return render(request, "home/index.html")


async def help_centre(request: Request):
    return render(request, "help/index.html")
