"""注册, 免费获取验证码, 登录 (password and image captcha), 退出, 忘记密码, and the account page."""
from __future__ import annotations

from datetime import timedelta, timezone

from starlette.requests import Request
from starlette.responses import Response

from models.accounts import IdType
from services.accounts import login as ops
from services.accounts import captcha, idnumbers, names, passwords, sms
from web import Form, client_ip, current_account, current_session, end_session, login_required, now, redirect, render, start_session

CN = timezone(timedelta(hours=8))



def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") else "/"


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
        await current_session(request)
        return render(request, "accounts/register.html", _register_ctx())
    form = Form(await request.form())
    today = now().astimezone(CN).date()
    r = ops.validate_registration(form, today)
    values = {"id_type": r.id_type, "id_number": r.id_number or form.get("id_number"), "name": r.name or form.get("name"),
              "phone": r.phone, "sms_code": r.sms_code}
    if not r.errors:
        await ops.check_unique(r)
    if not r.errors:
        s = request.app.state.settings
        if err := await sms.check_code(r.phone, "register", r.sms_code, secret=s.secret_key, now=now()):
            r.errors["sms_code"] = err
    account = None if r.errors else await ops.create_account(r)
    if account is None:
        return render(request, "accounts/register.html", _register_ctx(values, r.errors, r.help), status=422)
    await start_session(request, account=account)
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
    if not error and purpose == "register" and await ops.Account.exists(phone=phone):
        error = "该手机号已注册。如需更换，请查看帮助中心"
    if not error:
        s = request.app.state.settings
        send = True
        if purpose == "reset":
            # Send only to registered phones, but answer the same either way.
            send = await ops.Account.exists(phone=phone)
        if send:
            error, wait = await sms.send_code(request.app.state.sms, phone, purpose, secret=s.secret_key, now=now())
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
        if await current_account(request):
            return redirect(request, "/")
        ctx = {"values": {}, "errors": {}, "next": _safe_next(request.query_params.get("next", "/")),
               "notice": "密码已重置，请使用新密码登录" if request.query_params.get("reset") else None}
        return render(request, "accounts/login.html", ctx)
    form = Form(await request.form())
    login_name, password, answer = form.get("login"), form.get("password", strip=False), form.get("captcha")
    nxt = _safe_next(form.get("next") or "/")
    errors = dict(form.errors)
    if not login_name:
        errors.setdefault("login", "请输入证件号码或手机号")
    if not password:
        errors.setdefault("password", "请输入密码")
    s = request.app.state.settings
    t = now()
    ip = client_ip(request)
    if not errors and await ops.ip_throttled(ip, t):
        errors["form"] = ops.THROTTLED
    captcha_error = await captcha.check_captcha(request.state.sid_hash, answer, secret=s.secret_key, now=t)
    if captcha_error:
        errors.setdefault("captcha", captcha_error)
    if not errors:
        account, err = await ops.authenticate(ops.Account, await ops.find_login_account(login_name), password, ip, t)
        if err:
            errors["form"] = err
        else:
            await start_session(request, account=account)
            return redirect(request, nxt)
    ctx = {"values": {"login": login_name}, "errors": errors, "next": nxt}
    return render(request, "accounts/login.html", ctx, status=422)


async def logout(request: Request):
    await end_session(request)
    return redirect(request, "/")


# ------------------------------------------------------------------ 忘记密码


def _forgot_values(form: Form) -> dict:
    return {k: form.get(k) for k in ("id_number", "name", "phone", "sms_code")}


def _forgot_ctx(values=None, errors=None, sms_state=None):
    return {"values": values or {}, "errors": errors or {}, "sms": sms_state or {}, "purpose": "reset"}


MISMATCH = "填写的信息与注册信息不一致，重置失败。请核对证件号码、真实姓名和手机号"


async def forgot(request: Request):
    if request.method == "GET":
        await current_session(request)
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
        account = await ops.Account.get_or_none(id_number=id_number)
        # One message for every mismatch: never reveal which value differs.
        if account is None or account.phone != values["phone"] or account.name != names.normalize_name(
            values["name"], account.id_type
        ):
            errors["form"] = MISMATCH
    if not errors:
        s = request.app.state.settings
        if err := await sms.check_code(values["phone"], "reset", values["sms_code"], secret=s.secret_key, now=now()):
            errors["sms_code"] = err
    if errors:
        return render(request, "accounts/forgot.html", _forgot_ctx(values, errors), status=422)
    await ops.reset_password(account, new_password)
    await end_session(request)
    return redirect(request, "/login?reset=1")


# ------------------------------------------------------------------ 账号信息


async def account_page(request: Request):
    account = await login_required(request)
    return render(request, "accounts/account.html", {"account": account, "id_label": IdType.LABELS[account.id_type],
                                                      "masked_id": names.mask_id_number(account.id_number),
                                                      "masked_phone": names.mask_phone(account.phone),
                                                      "unbound": request.query_params.get("unbound")})
