"""注册, 免费获取验证码, 登录 (password and image captcha), 退出, 忘记密码, and the account page.
The rules and the writes are services/accounts/ (signup, sms, captcha, login, reset)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from models.accounts import Account, IdType
from services import clock
from services.accounts import captcha, idnumbers, kept, names, reset, signup, sms
from services.reference import rarechars
from services.accounts import login as ops
from web.forms import Form, client_ip, column, posted, safe_next
from web.render import redirect, render
from web.sessions import current_account, log_in, log_out, login_required

# ------------------------------------------------------------------ captcha


async def captcha_image(request: Request):
    s = request.app.state.settings
    png = await captcha.new_captcha(request.state.sid_hash, secret=s.secret_key, fixed=s.captcha_fixed,
                                    now=clock.now())
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ 注册 and 找回密码: the two forms with an SMS code

# SMS purpose → (its page, the fields shown again as typed)
FORMS = {
    "register": ("accounts/register.html", ("id_type", "id_number", "name", "phone", "sms_code")),
    "reset": ("accounts/forgot.html", reset.FIELDS),
}


def _form_page(request: Request, purpose: str, values: dict | None = None, errors: dict | None = None, *,
               help_links: dict | None = None, sms_state: dict | None = None, status: int = 200,
               fragment: str | None = None, kept_passwords: str = ""):
    blank = {"id_type": IdType.MAINLAND} if purpose == "register" else {}
    ctx = {"values": values or blank, "errors": errors or {}, "help_links": help_links or {}, "sms": sms_state or {},
           "purpose": purpose, "id_types": IdType.LABELS, "hints": idnumbers.FORMAT_HINTS,
           "kept_passwords": kept_passwords}
    return render(request, FORMS[purpose][0], ctx, fragment=fragment, status=status)


def _typed(form: Form, purpose: str) -> dict:
    return {k: form.get(k) for k in FORMS[purpose][1]}


# The form's round trips without JavaScript (免费获取验证码, 生僻字, 看不清): each is a POST of the whole form that
# answers with the form again as typed; the passwords, never shown again, ride sealed (services/accounts/kept.py).


def _sealed(request: Request, form: Form, purpose: str) -> str:
    """The passwords typed in `form` (or those it carried sealed), sealed for the page that answers it."""
    secret = request.app.state.settings.secret_key
    password, password2 = form.get("password", strip=False), form.get("password2", strip=False)
    if not password and not password2:
        opened = kept.unseal(secret, request.state.sid_hash, purpose, form.get("kept_passwords"))
        if opened is None:
            return ""
        password, password2 = opened
    return kept.seal(secret, request.state.sid_hash, purpose, password, password2)


def _open_kept(request: Request, form: Form, purpose: str) -> None:
    """注册 / 确认重置密码 with both password fields left empty after a round trip: the passwords typed before it."""
    if form.get("password", strip=False) or form.get("password2", strip=False):
        return
    opened = kept.unseal(request.app.state.settings.secret_key, request.state.sid_hash, purpose,
                         form.get("kept_passwords"))
    if opened is not None:
        form.replace("password", opened[0])
        form.replace("password2", opened[1])


def _round_trip(request: Request, form: Form, purpose: str) -> Response | None:
    """The answer of a round trip the form's POST carries instead of 注册 / 确认重置密码, or None: back from the
    生僻字 page (`picked`: the character, added at the end of the name, or "" for 返回), or 看不清 (a new
    图形验证码; the page draws a fresh one whatever was posted)."""
    if "picked" not in form.data and not form.get("new_captcha"):
        return None
    values = _typed(form, purpose)
    values["sms_code"] = form.get("sms_code")
    picked = form.get("picked")
    if len(picked) == 1 and rarechars.is_renderable(picked):
        values["name"] = (values.get("name") or "") + picked
    if purpose == "register":
        values["id_type"] = form.get("id_type") if form.get("id_type") in IdType.LABELS else IdType.MAINLAND
    return _form_page(request, purpose, values, kept_passwords=_sealed(request, form, purpose))


async def rarechar_page(request: Request):
    """生僻字 without JavaScript: the 注册 / 找回密码 form POSTed here as typed (nothing in the address); the search
    and its results are buttons of one form that carries it on, and a character's button posts it back to the
    form's page (`picked`), which adds the character to the name (_round_trip)."""
    form = await posted(request)
    purpose = form.get("purpose") if form.get("purpose") in FORMS else "register"
    pinyin = form.get("pinyin")[:12]
    strokes, radical = form.number("strokes", 1, 99), form.number("radical", 1, 214)
    searched = bool(pinyin or strokes or radical)
    results = rarechars.search(pinyin=pinyin or None, strokes=strokes, radical=radical, limit=200) if searched else []
    values = {**_typed(form, purpose), "sms_code": form.get("sms_code")}
    if purpose == "register":
        values["id_type"] = form.get("id_type") if form.get("id_type") in IdType.LABELS else IdType.MAINLAND
    ctx = {"purpose": purpose, "back": "/forgot" if purpose == "reset" else "/register", "values": values,
           "kept_passwords": _sealed(request, form, purpose), "results": results, "searched": searched,
           "pinyin": pinyin, "strokes": strokes, "radical": radical, "radicals": rarechars.radicals()}
    return render(request, "accounts/rarechar_pick.html", ctx)


async def register(request: Request):
    if request.method == "GET":
        return _form_page(request, "register")
    form = await posted(request)
    if (answer := _round_trip(request, form, "register")) is not None:
        return answer
    _open_kept(request, form, "register")
    r = signup.validate_registration(form, clock.today())
    account = await signup.register(r, secret=request.app.state.settings.secret_key, now=clock.now())
    if account is None:
        values = {**_typed(form, "register"), "id_number": r.id_number or form.get("id_number"),
                  "name": r.name or form.get("name")}
        return _form_page(request, "register", values, r.errors, help_links=r.help, status=422)
    await log_in(request, account=account)
    return redirect(request, "/?welcome=1")


async def send_sms(request: Request):
    """免费获取验证码 on either form: the htmx button (answers the button fragment) and the no-JS submit button
    (answers the page)."""
    form = await posted(request)
    purpose = form.get("purpose")
    if purpose not in sms.PURPOSES:
        purpose = "register"
    secret = request.app.state.settings.secret_key
    check_captcha = captcha.checker(request.state.sid_hash, form.get("captcha"), secret=secret, now=clock.now())
    sent = await sms.request_code(request.app.state.providers.sms, form.get("phone"), purpose, secret=secret,
                                  now=clock.now(), ip=client_ip(request), captcha=check_captcha)
    # The message goes next to its field, which is marked invalid: the phone's (phone_field.html, swapped out of
    # band by htmx), the captcha's under the captcha.
    phone_error = sent.error if sent.field == "phone" else None
    values = _typed(form, purpose)
    if purpose == "register":  # without JavaScript the whole form came: it comes back as typed
        values["id_type"] = form.get("id_type") if form.get("id_type") in IdType.LABELS else IdType.MAINLAND
    # 手机号已注册: its message links the 帮助中心's answer.
    help_links = {"phone": "phone-registered"} if sent.error == sms.PHONE_TAKEN else None
    return _form_page(request, purpose, values, {sent.field: sent.error} if sent.error else {}, help_links=help_links,
                      sms_state={"error": phone_error, "wait": sent.wait, "sent": not sent.error},
                      status=422 if sent.error else 200, fragment="sms_response.html",
                      kept_passwords=_sealed(request, form, purpose))


async def forgot(request: Request):
    if request.method == "GET":
        return _form_page(request, "reset")
    form = await posted(request, limits={"id_number": column(Account, "id_number")})  # looked up by it
    if (answer := _round_trip(request, form, "reset")) is not None:
        return answer
    _open_kept(request, form, "reset")
    r = reset.validate_reset(form)
    if not await reset.reset_password(r, secret=request.app.state.settings.secret_key, now=clock.now()):
        return _form_page(request, "reset", _typed(form, "reset"), r.errors, status=422)
    await log_out(request)
    return redirect(request, "/login?reset=1")


# ------------------------------------------------------------------ 登录 / 退出

LOGIN_MAX = max(column(Account, "id_number"), column(Account, "phone"))  # 证件号码或手机号


async def login(request: Request):
    if request.method == "GET":
        if current_account(request):
            return redirect(request, "/")
        q = Form(request.query_params)
        ctx = {"values": {}, "errors": {}, "next": safe_next(q.get("next") or "/"),
               "notice": "密码已重置，请使用新密码登录" if q.get("reset") else None}
        return render(request, "accounts/login.html", ctx)
    form = await posted(request, keys={"login": LOGIN_MAX})
    secret, sid_hash = request.app.state.settings.secret_key, request.state.sid_hash
    nxt = safe_next(form.get("next") or "/")
    if form.get("new_captcha"):  # 看不清 without JavaScript: the form again as typed, with a new image
        typed = form.get("password", strip=False)
        sealed = kept.seal(secret, sid_hash, "login", typed, "") if typed else form.get("kept_password")
        opened = kept.unseal(secret, sid_hash, "login", sealed)
        ctx = {"values": {"login": form.get("login")}, "errors": {}, "next": nxt,
               "kept_password": sealed if opened else ""}
        return render(request, "accounts/login.html", ctx)
    if not form.get("password", strip=False) and (opened := kept.unseal(secret, sid_hash, "login",
                                                                        form.get("kept_password"))):
        form.replace("password", opened[0])
    login_name, password = ops.credentials(form, "login", "请输入证件号码或手机号")
    check_captcha = captcha.checker(request.state.sid_hash, form.get("captcha"),
                                    secret=request.app.state.settings.secret_key, now=clock.now())
    # A name longer than any 证件号码 or 手机号 is looked up as no name: the answer of an unknown account.
    account = await ops.sign_in(Account, lambda: ops.find_login_account(form.key("login") or ""), password,
                                ip=client_ip(request), now=clock.now(), errors=form.errors, captcha=check_captcha)
    if account is not None:
        await log_in(request, account=account)
        return redirect(request, nxt)
    ctx = {"values": {"login": login_name}, "errors": form.errors, "next": nxt}
    return render(request, "accounts/login.html", ctx, status=422)


async def logout(request: Request):
    await log_out(request)
    return redirect(request, "/")


# ------------------------------------------------------------------ 账号信息


async def account_page(request: Request):
    account = login_required(request)
    return render(request, "accounts/account.html", {"account": account, "id_label": IdType.LABELS[account.id_type],
                                                      "masked_id": names.mask_id_number(account.id_number),
                                                      "masked_phone": names.mask_phone(account.phone),
                                                      "unbound": Form(request.query_params).get("unbound")})
