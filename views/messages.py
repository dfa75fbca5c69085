"""消息: the candidate's notifications (services/notifications/inbox.py), one opened (read from then on), and the
switch for the optional reminders. Another candidate's message is 404."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from models.notifications import Event
from services import clock
from services.notifications import inbox
from web.forms import posted
from web.render import redirect, render
from web.sessions import login_required


async def _page(request: Request, account, saved: bool = False, status: int = 200):
    return render(request, "messages/index.html", {
        "messages": await inbox.messages_of(request.app.state.reads, account.id), "reminders_off": await inbox.reminders_off(account.id),
        "optional": [Event.LABELS[e] for e in Event.OPTIONAL], "saved": saved}, fragment="reminders.html",
        status=status)


async def index(request: Request):
    account = login_required(request)
    return await _page(request, account, saved=request.query_params.get("saved") == "1")


async def message(request: Request):
    account = login_required(request)
    row, marked = await inbox.open_message(account.id, request.path_params["message_id"], clock.now())
    if row is None:
        raise HTTPException(404)
    unread = getattr(request.state.session, "unread_messages", 0) - marked  # counted before this opening (web.sessions.load)
    return render(request, "messages/message.html", {"message": row, "unread_messages": max(unread, 0)})


async def reminders(request: Request):
    """开启 / 关闭 the optional reminders (缴费即将截止, 准考证可打印): a review's outcome is always told."""
    account = login_required(request)
    form = await posted(request)
    await inbox.set_reminders(account.id, form.get("reminders") != "on", clock.now())
    if request.headers.get("hx-request") == "true":
        return await _page(request, account, saved=True)
    return redirect(request, "/messages?saved=1")


routes = [
    Route("/messages", index, name="messages"),
    Route("/messages/{message_id:id}", message, name="message"),
    Route("/messages/reminders", reminders, methods=["POST"], name="message_reminders"),
]
