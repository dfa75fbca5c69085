"""Account operations: register, log in (with lock-out and a per-address throttle), reset a password."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from models.accounts import Account, IdType, LoginFailure, Reviewer, Session
from services.accounts import idnumbers, names, passwords, sms

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=10)
IP_WINDOW = timedelta(minutes=10)
IP_MAX_FAILURES = 30  # per address per window: a shared office NAT must still be able to log in

BAD_LOGIN = "账号或密码错误"  # one message: never say which of the two was wrong
LOCKED = "登录失败次数过多，账号已锁定，请10分钟后再试"
THROTTLED = "该网络登录失败次数过多，请稍后再试"


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
    if "phone" not in r.errors and await Account.exists(phone=r.phone):
        r.errors["phone"] = "该手机号已注册。如需更换，请查看帮助中心"
        r.help["phone"] = "phone-registered"


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


async def find_login_account(login: str) -> Account | None:
    """证件号码或手机号: an ID number match wins over a phone match."""
    number = idnumbers.normalize(login)
    if not number:
        return None
    query = Q(id_number=number)
    if sms.PHONE_RE.fullmatch(login.strip()):
        query |= Q(phone=login.strip())
    rows = await Account.filter(query).limit(2)
    rows.sort(key=lambda a: a.id_number != number)
    return rows[0] if rows else None


async def ip_throttled(ip: str, now) -> bool:
    return await LoginFailure.filter(ip=ip, at__gt=now - IP_WINDOW).count() >= IP_MAX_FAILURES


async def record_ip_failure(ip: str, now) -> None:
    await LoginFailure.create(ip=ip, at=now)
    await LoginFailure.filter(at__lt=now - timedelta(hours=1)).delete()


async def authenticate(model, principal, password: str, ip: str, now):
    """Check a password for an Account or Reviewer (or None). Returns (principal, error)."""
    if principal is not None and principal.locked_until and principal.locked_until > now:
        await record_ip_failure(ip, now)
        return None, LOCKED
    ok = await passwords.verify_password(principal.password_hash if principal else None, password)
    if principal is None or not ok:
        await record_ip_failure(ip, now)
        if principal is not None:
            await model.filter(id=principal.id).update(failed_logins=F("failed_logins") + 1)
            # Lock once the count reaches the limit; the condition makes concurrent failures lock once.
            locked = await model.filter(id=principal.id, failed_logins__gte=LOCK_AFTER).update(
                failed_logins=0, locked_until=now + LOCK_FOR)
            if locked:
                return None, LOCKED
        return None, BAD_LOGIN
    if principal.failed_logins or principal.locked_until:
        await model.filter(id=principal.id).update(failed_logins=0, locked_until=None)
    return principal, None


async def reset_password(account: Account, new_password: str) -> None:
    """Set a new password, unlock, and end every session of the account."""
    await Account.filter(id=account.id).update(
        password_hash=await passwords.hash_password(new_password), failed_logins=0, locked_until=None)
    await Session.filter(account_id=account.id).delete()


async def find_reviewer(username: str) -> Reviewer | None:
    return await Reviewer.get_or_none(username=username.strip()) if username.strip() else None
