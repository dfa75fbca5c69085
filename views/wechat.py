"""微信扫码登录: QR code, polling until scanned and confirmed, first-time binding, unbinding.
The state machine is services/accounts/wechat.py."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from models.accounts import Account
from services import clock
from services.accounts import captcha, idnumbers, login as ops, wechat
from services.documents import qr as qr_code
from web.forms import client_ip, column, posted
from web.render import redirect, render
from web.sessions import log_in, login_required


async def start(request: Request):
    row = await wechat.start(request.state.sid_hash, clock.now())
    url = request.app.state.providers.wechat.authorize_url(row.state)
    qr = qr_code.svg_data_uri(url)
    # htmx: the panel of the 登录 page (templates/accounts/login.html); else the page of its own.
    return render(request, "accounts/wechat.html", {"login": row, "qr": qr, "qr_url": url, "status": "pending"},
                  fragment="wechat_panel.html")


async def _own(request: Request):
    row = await wechat.of_browser(request.path_params["state"], request.state.sid_hash)
    if row is None:
        raise HTTPException(404)
    return row


async def status(request: Request):
    """Polled by htmx every 2 s (and reloadable by hand without JavaScript)."""
    row = await _own(request)
    state, account = await wechat.poll(row, request.app.state.providers.wechat, clock.now())
    if account is not None:  # just confirmed by a known WeChat user: logged in here
        await log_in(request, account=account)
    if state == "done":  # by this request, or by another poll of this browser at the same moment
        return redirect(request, "/")
    if state == "bind":
        return redirect(request, f"/login/wechat/{row.state}/bind")
    return render(request, "accounts/wechat_status_page.html", {"login": row, "status": state},
                  fragment="wechat_status.html")


async def bind(request: Request):
    """A WeChat identity seen for the first time is bound once, with 证件号码 and 密码."""
    row = await _own(request)
    if not wechat.may_bind(row, clock.now()):
        return redirect(request, "/login/wechat/")
    if request.method == "GET":
        return render(request, "accounts/wechat_bind.html", {"login": row, "values": {}, "errors": {}})
    form = await posted(request, keys={"id_number": column(Account, "id_number")})
    if form.get("new_captcha"):  # 看不清 without JavaScript: the form again with a new image (the password typed again)
        return render(request, "accounts/wechat_bind.html", {"login": row, "values": {"id_number": form.get("id_number")},
                                                             "errors": {}})
    typed, password = ops.credentials(form, "id_number", "请输入证件号码")
    id_number = idnumbers.normalize(typed)
    # A number longer than the column is looked up as no number: the answer of an unknown account.
    known = id_number if form.key("id_number") is not None else ""
    # The binding is a login: the image captcha, and failures count on the 证件号码's lock-out (services.accounts.login).
    check_captcha = captcha.checker(request.state.sid_hash, form.get("captcha"),
                                    secret=request.app.state.settings.secret_key, now=clock.now())
    account = await ops.sign_in(Account, lambda: ops.find_account(known), password, ip=client_ip(request),
                                now=clock.now(), errors=form.errors, captcha=check_captcha)
    if account is not None:
        if err := await wechat.bind(row, account, clock.now()):
            form.errors["form"] = err
        else:
            await log_in(request, account=account)
            return redirect(request, "/?bound=1")
    ctx = {"login": row, "values": {"id_number": id_number}, "errors": form.errors}
    return render(request, "accounts/wechat_bind.html", ctx, status=422)


async def unbind(request: Request):
    account = login_required(request)
    await wechat.unbind(account.id)
    return redirect(request, "/account?unbound=1")


routes = [
    Route("/", start, name="wechat_login"),
    Route("/{state:token}/status", status, name="wechat_status"),
    Route("/{state:token}/bind", bind, methods=["GET", "POST"], name="wechat_bind"),
]
