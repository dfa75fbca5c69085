"""Sandbox pages, mounted only outside production: the SMS outbox and WeChat's phone-side scan page."""
from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.routing import Route

from models.accounts import WechatLogin
from models.sandbox import SmsOutbox
from web import Form, now, render



async def outbox(request: Request):
    messages = await SmsOutbox.all().order_by("-sent_at", "-id").limit(100)
    return render(request, "dev/outbox.html", {"messages": messages})


def sandbox_openid(wechat_user: str) -> str:
    """A stable openid per sandbox WeChat user, shaped like WeChat's (28 characters starting with o)."""
    return "o" + hashlib.sha256(f"sandbox:{wechat_user}".encode()).hexdigest()[:27]


async def wechat_authorize(request: Request):
    """What the phone shows after scanning: 确认登录 or 取消."""
    state = request.query_params.get("state", "")
    row = await WechatLogin.get_or_none(state=state)
    valid = row is not None and row.status == "pending" and row.expires_at > now()
    if request.method == "GET":
        return render(request, "dev/wechat.html", {"state": state, "valid": valid, "done": None,
                                                    "wechat_user": "sandbox-user"})
    form = Form(await request.form())
    wechat_user = form.get("wechat_user") or "sandbox-user"
    done = "cancelled"
    if valid and form.get("action") == "confirm":
        code = await request.app.state.wechat.grant(sandbox_openid(wechat_user), now=now())
        updated = await WechatLogin.filter(state=state, status="pending").update(status="confirmed", code=code)
        done = "confirmed" if updated else "expired"
    elif valid:
        await WechatLogin.filter(state=state, status="pending").update(status="cancelled")
    return render(request, "dev/wechat.html", {"state": state, "valid": False, "done": done, "wechat_user": wechat_user})


async def alipay_certify(request: Request):
    """The Alipay app's screen after scanning (sandbox): 确认授权."""
    from models.sandbox import AlipayCertification
    from services.accounts.names import mask_id_number

    certify_id = request.query_params.get("certify_id", "")
    cert = await AlipayCertification.get_or_none(certify_id=certify_id, passed=False, expires_at__gt=now())
    done = False
    if request.method == "POST" and cert is not None:
        done = await request.app.state.alipay.authorize(certify_id, now=now())
    ctx = {"cert": cert, "done": done, "masked_id": mask_id_number(cert.id_number) if cert else ""}
    return render(request, "dev/alipay.html", ctx)


routes = [
    Route("/alipay/certify", alipay_certify, methods=["GET", "POST"], name="dev_alipay"),
    Route("/outbox", outbox, name="dev_outbox"),
    Route("/wechat/authorize", wechat_authorize, methods=["GET", "POST"], name="dev_wechat"),
]
