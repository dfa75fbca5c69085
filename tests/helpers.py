"""Small builders shared by the HTTP tests."""
from __future__ import annotations

import re

from models.accounts import Account
from models.sandbox import SmsOutbox
from services.accounts.idnumbers import check_digit

from tests.conftest import CAPTCHA, csrf_of


def mainland_id(first17: str = "11010519900307123") -> str:
    return first17 + check_digit(first17)


PASSWORD = "Passw0rd2027"


async def three_minutes_pass(phone: str) -> None:
    """Move the phone's last send back, as if the 3-minute resend wait were over."""
    from datetime import timedelta

    from models.accounts import SmsThrottle

    for row in await SmsThrottle.filter(phone=phone):
        await SmsThrottle.filter(phone=phone).update(last_sent_at=row.last_sent_at - timedelta(minutes=3))


async def sms_code(client, phone: str, purpose: str = "register") -> str:
    token = await csrf_of(client, "/register" if purpose == "register" else "/forgot")
    r = await client.post("/sms/send", data={"phone": phone, "purpose": purpose, "csrf_token": token},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    row = await SmsOutbox.filter(phone=phone).order_by("-id").first()
    return row.code


def register_form(token: str, **overrides) -> dict:
    form = {"csrf_token": token, "id_type": "mainland", "id_number": mainland_id(), "name": "张三丰",
            "password": PASSWORD, "password2": PASSWORD, "phone": "13800138000", "sms_code": ""}
    form.update(overrides)
    return form


async def register(client, **overrides) -> Account:
    """Register through the real form (SMS code from the sandbox outbox); returns the stored account."""
    phone = overrides.get("phone", "13800138000")
    code = await sms_code(client, phone)
    token = await csrf_of(client, "/register")
    r = await client.post("/register", data=register_form(token, sms_code=code, **overrides))
    assert r.status_code == 303, r.text
    return await Account.get(phone=phone)


async def login(client, login_name: str, password: str = PASSWORD, captcha: str = CAPTCHA):
    token = await csrf_of(client, "/login")
    await client.get("/captcha.png")
    return await client.post("/login", data={"csrf_token": token, "login": login_name, "password": password,
                                             "captcha": captcha, "next": "/"})


def field_error(html: str, field: str) -> str | None:
    m = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    return m.group(1).strip() if m else None
