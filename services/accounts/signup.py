"""注册: the form's rules, the SMS code, and creating the account (one per 证件号码 and one per 手机号)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tortoise.exceptions import IntegrityError

from models.accounts import Account, IdType
from services.accounts import idnumbers, names, passwords, sms


@dataclass
class Registration:
    """The cleaned values of the 注册 form and the message for each bad field."""

    id_type: str = ""
    id_number: str = ""
    name: str = ""
    phone: str = ""
    password: str = ""
    sms_code: str = ""
    birth_date: date | None = None
    gender: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)  # field → anchor in the 帮助中心


def validate_registration(form, today: date) -> Registration:
    r = Registration()
    r.id_type = form.get("id_type")
    if r.id_type not in IdType.LABELS:
        form.error("id_type", "请选择证件类型")
    else:
        checked = idnumbers.check(r.id_type, form.get("id_number"), today)
        r.id_number, r.birth_date, r.gender = checked.number, checked.birth_date, checked.gender
        if checked.error:
            form.error("id_number", checked.error)
        r.name = names.normalize_name(form.get("name", strip=False), r.id_type)
        if err := names.name_error(r.name, r.id_type):
            form.error("name", err)
    r.password = form.get("password", strip=False)
    if err := passwords.password_error(r.password):
        form.error("password", err)
    confirm = form.get("password2", strip=False)
    if not confirm:
        form.error("password2", "请再次输入密码")
    elif confirm != r.password:
        form.error("password2", "两次输入的密码不一致")
    r.phone = form.get("phone")
    if err := sms.phone_error(r.phone):
        form.error("phone", err)
    r.sms_code = form.get("sms_code")
    if not r.sms_code:
        form.error("sms_code", "请输入短信验证码")
    r.errors = form.errors
    return r


async def check_unique(r: Registration) -> None:
    if "id_number" not in r.errors and await Account.exists(id_number=r.id_number):
        r.errors["id_number"] = "该证件号码已注册。如非本人注册，请查看帮助中心"
        r.help["id_number"] = "id-registered"
    if "phone" not in r.errors and await sms.phone_registered(r.phone):
        r.errors["phone"] = sms.PHONE_TAKEN
        r.help["phone"] = "phone-registered"


async def register(r: Registration, *, secret: str, now) -> Account | None:
    """注册 a validated form: the 证件号码 and 手机号 still free, the SMS code right (used up), then the account.
    Returns the new account, or None with the reasons in r.errors."""
    if not r.errors:
        await check_unique(r)
    if not r.errors and (err := await sms.check_code(r.phone, "register", r.sms_code, secret=secret, now=now)):
        r.errors["sms_code"] = err
    return None if r.errors else await create_account(r)


async def create_account(r: Registration) -> Account | None:
    """Insert the account; the unique constraints decide a race between two registrations."""
    try:
        return await Account.create(
            id_type=r.id_type, id_number=r.id_number, name=r.name, phone=r.phone,
            password_hash=await passwords.hash_password(r.password), birth_date=r.birth_date, gender=r.gender,
        )
    except IntegrityError:
        await check_unique(r)
        if not r.errors:
            r.errors["id_number"] = "该证件号码或手机号已注册"
        return None
