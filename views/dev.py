"""The outside providers' own pages, played by their sandboxes; mounted under /dev only outside production:
the SMS outbox, WeChat's and Alipay's phone screens after scanning, and the payment gateway's page.
Everything here goes through `app.state.providers.sandbox`, never through the provider slots."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from services.accounts import sms, wechat
from services.accounts.names import mask_id_number
from services.clock import now
from services.registration.fees import yuan
from web.forms import Form, posted
from web.render import redirect, render


def _sandbox(request: Request, kind: str):
    sandbox = request.app.state.providers.sandbox
    provider = getattr(sandbox, kind) if sandbox is not None else None
    if provider is None:  # a real provider is configured: it has its own pages
        raise HTTPException(404)
    return provider


async def outbox(request: Request):
    """The sandbox's SMS outbox, newest first; ?phone= shows one phone's messages (what that phone received)."""
    phone = Form(request.query_params).get("phone")
    messages = await _sandbox(request, "sms").outbox(limit=100, phone=phone if sms.PHONE_RE.fullmatch(phone) else None)
    return render(request, "dev/outbox.html", {"messages": messages})


async def wechat_authorize(request: Request):
    """What the phone shows after scanning: 确认登录 or 取消."""
    provider = _sandbox(request, "wechat")
    state = Form(request.query_params).shaped("state", "token")
    valid = bool(state) and await wechat.scanned(state, now()) is not None
    if request.method == "GET":
        return render(request, "dev/wechat.html", {"state": state, "valid": valid, "done": None,
                                                    "wechat_user": "sandbox-user"})
    form = await posted(request)
    wechat_user = form.get("wechat_user") or "sandbox-user"
    done = "cancelled"
    if valid and form.get("action") == "confirm":
        # WeChat sends the phone back to our callback with a code: here the sandbox calls it directly.
        code = await provider.grant(provider.openid_of(wechat_user), now=now())
        done = "confirmed" if await wechat.confirm(state, code, now()) else "expired"
    elif valid:
        await wechat.cancel(state, now())
    return render(request, "dev/wechat.html", {"state": state, "valid": False, "done": done, "wechat_user": wechat_user})


async def alipay_certify(request: Request):
    """The Alipay app's screen after scanning (sandbox): 确认授权."""
    provider = _sandbox(request, "alipay")
    certify_id = Form(request.query_params).shaped("certify_id", "token")
    cert = await provider.pending(certify_id, now=now()) if certify_id else None
    done = False
    if request.method == "POST" and cert is not None:
        done = await provider.authorize(certify_id, now=now())
    ctx = {"cert": cert, "done": done, "masked_id": mask_id_number(cert.id_number) if cert else ""}
    return render(request, "dev/alipay.html", ctx)


async def _trade(request: Request):
    provider = _sandbox(request, "payments")
    row = await provider.trade(request.path_params["trade_no"])
    if row is None:
        raise HTTPException(404)
    return provider, row


async def pay_page(request: Request):
    """The gateway's payment page: 确认支付 or 取消."""
    _, row = await _trade(request)
    return render(request, "payment/sandbox.html", {"p": row, "amount": yuan(row.amount_fen)})


async def pay_confirm(request: Request):
    """确认支付: paid once, the signed notification sent (with retries), then back to the platform."""
    provider, row = await _trade(request)
    await provider.confirm(row.trade_no, now=now())
    return redirect(request, row.return_url)


async def pay_cancel(request: Request):
    provider, row = await _trade(request)
    await provider.cancel(row.trade_no)
    return redirect(request, row.return_url)


routes = [
    Route("/alipay/certify", alipay_certify, methods=["GET", "POST"], name="dev_alipay"),
    Route("/outbox", outbox, name="dev_outbox"),
    Route("/wechat/authorize", wechat_authorize, methods=["GET", "POST"], name="dev_wechat"),
    Route("/pay/{trade_no:trade_no}", pay_page, name="dev_pay"),
    Route("/pay/{trade_no:trade_no}/confirm", pay_confirm, methods=["POST"], name="dev_pay_confirm"),
    Route("/pay/{trade_no:trade_no}/cancel", pay_cancel, methods=["POST"], name="dev_pay_cancel"),
]
