"""首页 and 帮助中心."""
from starlette.requests import Request

from services.notifications import inbox
from services.registration import applications
from web.render import render
from web.sessions import current_account

HOME_MESSAGES = 5  # the newest 消息 on the home page; the rest on /messages


async def index(request: Request):
    """首页: for a candidate, each application with its state and its next action (the manual's only way there
    was 选择考试 → 进入)."""
    account = current_account(request)
    rows = await applications.on_home(request.app.state.reference, account.id) if account else []
    messages = await inbox.messages_of(request.app.state.reads, account.id, limit=HOME_MESSAGES) if account else []
    return render(request, "home/index.html", {"applications": rows, "messages": messages})


async def help_centre(request: Request):
    return render(request, "help/index.html")
