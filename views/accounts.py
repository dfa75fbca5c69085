"""注册, 免费获取验证码, 登录 (password and image captcha), 退出, 忘记密码, and the account page."""
from __future__ import annotations


from starlette.requests import Request
from starlette.responses import Response

from models.accounts import Account, IdType
from services import clock
from services.accounts import captcha, idnumbers, names, passwords, signup, sms
from services.accounts import login as ops
from services.clock import now
from web.forms import Form, client_ip, safe_next
from web.render import redirect, render
from web.sessions import current_account, log_in, log_out, login_required


# ------------------------------------------------------------------ captcha


async def captcha_image(request: Request):
    s = request.app.state.settings
    png = await captcha.new_captcha(request.state.sid_hash, secret=s.secret_key, fixed=s.captcha_fixed, now=now())
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ 注册


def _register_ctx(values=None, errors=None, help_links=None, sms_state=None):
    return {"id_types": IdType.LABELS, "values": values or {"id_type": IdType.MAINLAND}, "errors": errors or {},
            "help_links": help_links or {}, "sms": sms_state or {}, "hints": idnumbers.FORMAT_HINTS,
            "purpose": "register"}


async def register(request: Request):
    if request.method == "GET":
        return render(request, "accounts/register.html", _register_ctx())
    form = Form(await request.form())
    r = signup.validate_registration(form, clock.today())
    values = {"id_type": r.id_type, "id_number": r.id_number or form.get("id_number"), "name": r.name or form.get("name"),
              "phone": r.phone, "sms_code": r.sms_code}
    if not r.errors:
        await signup.check_unique(r)
    if not r.errors:
        s = request.app.state.settings
        if err := await sms.check_code(r.phone, "register", r.sms_code, secret=s.secret_key, now=now()):
            r.errors["sms_code"] = err
    account = None if r.errors else await signup.create_account(r)
    if account is None:
        return render(request, "accounts/register.html", _register_ctx(values, r.errors, r.help), status=422)
    await log_in(request, account=account)
    return redirect(request, "/?welcome=1")


# ------------------------------------------------------------------ 免费获取验证码


async def send_sms(request: Request):
    """Both the htmx button (answers the button fragment) and the no-JS submit button (answers the page)."""
    form = Form(await request.form())
    purpose = form.get("purpose")
    if purpose not in ("register", "reset"):
        purpose = "register"
    phone = form.get("phone")
    error = sms.phone_error(phone) or form.errors.get("phone")
    wait = 0
    if not error and purpose == "register" and await ops.phone_registered(phone):
        error = "该手机号已注册。如需更换，请查看帮助中心"
    if not error:
        s = request.app.state.settings
        send = True
        if purpose == "reset":
            # Send only to registered phones, but answer the same either way.
            send = await ops.phone_registered(phone)
        if send:
            error, wait = await sms.send_code(request.app.state.providers.sms, phone, purpose, secret=s.secret_key, now=now())
        else:
            wait = int(sms.RESEND_AFTER.total_seconds())
    sms_state = {"error": error, "wait": wait, "sent": not error}
    status = 422 if error else 200
    if purpose == "reset":
        ctx = _forgot_ctx(_forgot_values(form), {"phone": error} if error else {}, sms_state)
        return render(request, "accounts/forgot.html", ctx, fragment="sms_button.html", status=status)
    values = {k: form.get(k) for k in ("id_type", "id_number", "name", "phone", "sms_code")}
    ctx = _register_ctx(values, {"phone": error} if error else {}, sms_state=sms_state)
    return render(request, "accounts/register.html", ctx, fragment="sms_button.html", status=status)


# ------------------------------------------------------------------ 登录 / 退出


async def login(request: Request):
    if request.method == "GET":
        if current_account(request):
            return redirect(request, "/")
        ctx = {"values": {}, "errors": {}, "next": safe_next(request.query_params.get("next", "/")),
               "notice": "密码已重置，请使用新密码登录" if request.query_params.get("reset") else None}
        return render(request, "accounts/login.html", ctx)
    form = Form(await request.form())
    login_name, password, answer = form.get("login"), form.get("password", strip=False), form.get("captcha")
    nxt = safe_next(form.get("next") or "/")
    errors = dict(form.errors)
    if not login_name:
        errors.setdefault("login", "请输入证件号码或手机号")
    if not password:
        errors.setdefault("password", "请输入密码")
    account = await ops.sign_in(Account, lambda: ops.find_login_account(login_name), password, ip=client_ip(request),
                                now=now(), errors=errors, captcha=_captcha_check(request, answer))
    if account is not None:
        await log_in(request, account=account)
        return redirect(request, nxt)
    ctx = {"values": {"login": login_name}, "errors": errors, "next": nxt}
    return render(request, "accounts/login.html", ctx, status=422)


def _captcha_check(request: Request, answer: str):
    """This browser's captcha, checked (and used up) by the login flow."""
    secret = request.app.state.settings.secret_key
    return lambda: captcha.check_captcha(request.state.sid_hash, answer, secret=secret, now=now())


async def logout(request: Request):
    await log_out(request)
    return redirect(request, "/")


# ------------------------------------------------------------------ 忘记密码


def _forgot_values(form: Form) -> dict:
    return {k: form.get(k) for k in ("id_number", "name", "phone", "sms_code")}


def _forgot_ctx(values=None, errors=None, sms_state=None):
    return {"values": values or {}, "errors": errors or {}, "sms": sms_state or {}, "purpose": "reset"}


async def forgot(request: Request):
    if request.method == "GET":
        return render(request, "accounts/forgot.html", _forgot_ctx())
    form = Form(await request.form())
    values = _forgot_values(form)
    errors = dict(form.errors)
    id_number = idnumbers.normalize(values["id_number"])
    if not id_number:
        errors.setdefault("id_number", "请输入证件号码")
    if not values["name"]:
        errors.setdefault("name", "请输入真实姓名")
    new_password = form.get("password", strip=False)
    if err := passwords.password_error(new_password):
        errors.setdefault("password", err)
    confirm = form.get("password2", strip=False)
    if confirm != new_password:
        errors.setdefault("password2", "两次输入的密码不一致")
    if err := sms.phone_error(values["phone"]):
        errors.setdefault("phone", err)
    if not values["sms_code"]:
        errors.setdefault("sms_code", "请输入短信验证码")
    account = None
    if not errors:
        account = await ops.account_for_reset(id_number, values["name"], values["phone"])
        if account is None:  # one message for every mismatch: never reveal which value differs
            errors["form"] = ops.MISMATCH
    if not errors:
        s = request.app.state.settings
        if err := await sms.check_code(values["phone"], "reset", values["sms_code"], secret=s.secret_key, now=now()):
            errors["sms_code"] = err
    if errors:
        return render(request, "accounts/forgot.html", _forgot_ctx(values, errors), status=422)
    await ops.reset_password(account, new_password)
    await log_out(request)
    return redirect(request, "/login?reset=1")


# ------------------------------------------------------------------ 账号信息


async def account_page(request: Request):
    account = login_required(request)
    return render(request, "accounts/account.html", {"account": account, "id_label": IdType.LABELS[account.id_type],
                                                      "masked_id": names.mask_id_number(account.id_number),
                                                      "masked_phone": names.mask_phone(account.phone),
                                                      "unbound": request.query_params.get("unbound")})
