"""微信扫码登录: QR code, polling until scanned and confirmed, first-time binding, unbinding."""
from __future__ import annotations

import secrets
from datetime import timedelta

import segno
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route
from tortoise.exceptions import IntegrityError

from models.accounts import Account, WechatLogin
from services.accounts import login as ops
from services.accounts import idnumbers
from services.providers.wechat import WechatError
from web import Form, client_ip, current_session, login_required, now, redirect, render, start_session

QR_TTL = timedelta(minutes=5)



async def start(request: Request):
    await current_session(request)
    t = now()
    row = await WechatLogin.create(state=secrets.token_urlsafe(24), sid=request.state.sid_hash, created_at=t,
                                   expires_at=t + QR_TTL)
    url = request.app.state.wechat.authorize_url(row.state)
    qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    return render(request, "accounts/wechat.html", {"login": row, "qr": qr, "qr_url": url, "status": "pending"})


async def _own(request: Request, state: str) -> WechatLogin:
    row = await WechatLogin.get_or_none(state=state, sid=request.state.sid_hash)
    if row is None:
        raise HTTPException(404)
    return row


async def status(request: Request):
    """Polled by htmx every 2 s (and reloadable by hand without JavaScript)."""
    await current_session(request)
    row = await _own(request, request.path_params["state"])
    t = now()
    state = row.status
    if state == "pending" and row.expires_at <= t:
        state = "expired"
    if state == "confirmed":
        try:
            openid = await request.app.state.wechat.exchange_code(row.code, now=t)
        except WechatError:
            state = "expired"
        else:
            account = await Account.get_or_none(wechat_openid=openid)
            new_status = "done" if account else "bind"
            await WechatLogin.filter(state=row.state, status="confirmed").update(status=new_status, openid=openid)
            if account is None:
                return redirect(request, f"/login/wechat/{row.state}/bind")
            await start_session(request, account=account)
            return redirect(request, "/")
    if state == "bind":
        return redirect(request, f"/login/wechat/{row.state}/bind")
    ctx = {"login": row, "status": state}
    return render(request, "accounts/wechat_status_page.html", ctx, fragment="wechat_status.html")


async def bind(request: Request):
    """A WeChat identity seen for the first time is bound once, with 证件号码 and 密码."""
    await current_session(request)
    row = await _own(request, request.path_params["state"])
    if row.status != "bind" or not row.openid or row.expires_at + QR_TTL <= now():
        return redirect(request, "/login/wechat/")
    if request.method == "GET":
        return render(request, "accounts/wechat_bind.html", {"login": row, "values": {}, "errors": {}})
    form = Form(await request.form())
    id_number, password = idnumbers.normalize(form.get("id_number")), form.get("password", strip=False)
    errors = dict(form.errors)
    if not id_number:
        errors.setdefault("id_number", "请输入证件号码")
    if not password:
        errors.setdefault("password", "请输入密码")
    t = now()
    if not errors and await ops.ip_throttled(client_ip(request), t):
        errors["form"] = ops.THROTTLED
    if not errors:
        account, err = await ops.authenticate(Account, await Account.get_or_none(id_number=id_number), password,
                                              client_ip(request), t)
        if err:
            errors["form"] = err
        elif account.wechat_openid:
            errors["form"] = "该账号已绑定其他微信，请先登录后在账号信息中解除绑定"
        else:
            try:
                bound = await Account.filter(id=account.id, wechat_openid__isnull=True).update(wechat_openid=row.openid)
            except IntegrityError:
                bound = 0
            if not bound or not await WechatLogin.filter(state=row.state, status="bind").update(status="done"):
                errors["form"] = "绑定失败，请重新扫码"
            else:
                await start_session(request, account=account)
                return redirect(request, "/?bound=1")
    ctx = {"login": row, "values": {"id_number": id_number}, "errors": errors}
    return render(request, "accounts/wechat_bind.html", ctx, status=422)


async def unbind(request: Request):
    account = await login_required(request)
    await Account.filter(id=account.id).update(wechat_openid=None)
    return redirect(request, "/account?unbound=1")


routes = [
    Route("/", start, name="wechat_login"),
    Route("/{state}/status", status, name="wechat_status"),
    Route("/{state}/bind", bind, methods=["GET", "POST"], name="wechat_bind"),
]
