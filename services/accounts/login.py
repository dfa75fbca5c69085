"""登录: the one login flow, for 会计人员登录, the reviewers' login and the WeChat binding: a per-address throttle,
the image captcha, then the password with a lock-out after repeated failures. Resetting a forgotten password is
services/accounts/reset.py; the session a login starts is services/accounts/sessions.py."""
from __future__ import annotations

from datetime import timedelta
from typing import Awaitable, Callable

from tortoise.expressions import F, Q

from models.accounts import Account, LoginFailure, Reviewer
from services.accounts import idnumbers, passwords, sms

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=10)
IP_WINDOW = timedelta(minutes=10)
IP_MAX_FAILURES = 30  # per address per window: a shared office NAT must still be able to log in

BAD_LOGIN = "账号或密码错误"  # one message: never say which of the two was wrong
LOCKED = "登录失败次数过多，账号已锁定，请10分钟后再试"
THROTTLED = "该网络登录失败次数过多，请稍后再试"
NO_PASSWORD = "请输入密码"


def credentials(form, field: str, missing: str) -> tuple[str, str]:
    """What a login form sent: the name in `field` (证件号码, 手机号 or 用户名) and the password, with
    "请输入…" in form.errors for an empty one."""
    who, password = form.get(field), form.get("password", strip=False)
    if not who:
        form.error(field, missing)
    if not password:
        form.error("password", NO_PASSWORD)
    return who, password


async def sign_in(model, principal, password: str, *, ip: str, now, errors: dict,
                  captcha: Callable[[], Awaitable[str | None]] | None = None):
    """The login flow shared by 登录, the reviewers' login and the WeChat binding. `errors` holds what the form
    already found wrong; the address throttle, then the captcha (consumed whatever else happens), then the
    password with its lock-out add theirs. `principal` is an async callable finding the Account or Reviewer.
    Returns it when the password was right and nothing else was wrong, else None (the reasons in `errors`)."""
    if not errors and await ip_throttled(ip, now):
        errors["form"] = THROTTLED
    if captcha is not None and (err := await captcha()):
        errors.setdefault("captcha", err)
    if errors:
        return None
    found, err = await authenticate(model, await principal(), password, ip, now)
    if err:
        errors["form"] = err
        return None
    return found


# ---------------------------------------------------------------------- who is logging in


async def find_account(id_number: str) -> Account | None:
    return await Account.get_or_none(id_number=id_number) if id_number else None


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


async def find_reviewer(username: str) -> Reviewer | None:
    return await Reviewer.get_or_none(username=username.strip()) if username.strip() else None


# ---------------------------------------------------------------------- throttle and lock-out


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
        if principal is not None and await _count_failure(model, principal.id, now):
            return None, LOCKED
        return None, BAD_LOGIN
    if principal.failed_logins or principal.locked_until:
        await model.filter(id=principal.id).update(failed_logins=0, locked_until=None)
    return principal, None


async def _count_failure(model, principal_id: int, now) -> bool:
    """One more failed password; returns whether this failure locked the account."""
    await model.filter(id=principal_id).update(failed_logins=F("failed_logins") + 1)
    # Lock once the count reaches the limit; the condition makes concurrent failures lock once.
    return bool(await model.filter(id=principal_id, failed_logins__gte=LOCK_AFTER).update(
        failed_logins=0, locked_until=now + LOCK_FOR))
