"""登录: the one login flow, for 会计人员登录, the reviewers' login and the WeChat binding: a per-address throttle,
the image captcha, then the password with a lock-out after repeated failures. Resetting a forgotten password is
services/accounts/reset.py; the session a login starts is services/accounts/sessions.py.

Nothing in the answers tells whether a name belongs to an account. A wrong password and an unknown name get the
same message; the password is hashed whether or not the name was found or is locked, so each answer takes the
time of one hash; and the lock-out belongs to the login name as typed (LoginLock), counted alike for names of no
account: five failures lock the name for ten minutes with the same message, known or not. A candidate has two
login names, the 证件号码 and the 手机号: each has its own count (the WeChat binding, by 证件号码, shares the
证件号码's), and the per-address throttle bounds the guesses of any one network across all names."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from models.accounts import Account, LoginFailure, LoginLock, Reviewer
from services.accounts import idnumbers, passwords, sms

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=10)
FORGET_AFTER = timedelta(hours=1)  # failures of a name are forgotten after an hour without one
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


async def sign_in(model, principal: Callable[[], Awaitable["Who"]], password: str, *, ip: str, now, errors: dict,
                  captcha: Callable[[], Awaitable[str | None]]):
    """The login flow shared by 登录, the reviewers' login and the WeChat binding. `errors` holds what the form
    already found wrong; the address throttle, then the captcha (required, and consumed whatever else happens),
    then the password with its lock-out add theirs. `principal` is an async callable naming whom the form names
    (find_account, find_login_account, find_reviewer); `model` (Account or Reviewer) is what it finds.
    Returns the Account or Reviewer when the password was right and nothing else was wrong, else None (the
    reasons in `errors`)."""
    if not errors and await ip_throttled(ip, now):
        errors["form"] = THROTTLED
    if err := await captcha():
        errors.setdefault("captcha", err)
    if errors:
        return None
    found, err = await authenticate(model, await principal(), password, ip, now)
    if err:
        errors["form"] = err
        return None
    return found


# ---------------------------------------------------------------------- who is logging in


@dataclass(frozen=True)
class Who:
    """Whom a login form names: the login name (normalised as it is looked up) and the row it finds, if any."""

    name: str
    found: Account | Reviewer | None


async def find_account(id_number: str) -> Who:
    """By 证件号码 (the WeChat binding): `id_number` is normalised already."""
    return Who(id_number, await Account.get_or_none(id_number=id_number) if id_number else None)


async def find_login_account(login: str) -> Who:
    """证件号码或手机号: an ID number match wins over a phone match."""
    number = idnumbers.normalize(login)
    if not number:
        return Who(number, None)
    query = Q(id_number=number)
    if sms.PHONE_RE.fullmatch(login.strip()):
        query |= Q(phone=login.strip())
    rows = await Account.filter(query).limit(2)
    rows.sort(key=lambda a: a.id_number != number)
    return Who(number, rows[0] if rows else None)


async def find_reviewer(username: str) -> Who:
    name = username.strip()
    return Who(name, await Reviewer.get_or_none(username=name) if name else None)


# ---------------------------------------------------------------------- throttle and lock-out


async def ip_throttled(ip: str, now) -> bool:
    return await LoginFailure.filter(ip=ip, at__gt=now - IP_WINDOW).count() >= IP_MAX_FAILURES


async def record_ip_failure(ip: str, now) -> None:
    await LoginFailure.create(ip=ip, at=now)  # purged once out of the window (services.accounts.housekeeping)


def lock_key(model, name: str) -> str:
    """The LoginLock row of a login name of an Account or a Reviewer (a hash: typed names are not kept)."""
    return hashlib.sha256(f"{model._meta.db_table}:{name}".encode()).hexdigest()


async def authenticate(model, who: Who, password: str, ip: str, now):
    """Check a password for the name `who` names. Returns (Account or Reviewer, None) or (None, the message).

    An attempt is taken on the name before the password is checked (`_take_attempt`, one conditional update):
    of twenty guesses sent at once, only those within the count get their password checked, so parallel requests
    cannot get past the lock-out. Then the same steps whatever the name: the password hashed (refused or not;
    against a stand-in hash when no account has the name), and a failure locks the name when it was the last
    attempt of the count. A right password clears the count.

    A refusal is answered no sooner than `failure_seconds` after the attempt began: a stored hash is checked at
    the cost it was made with, and an account whose hash predates the current cost (argon2-cffi's default took
    ten times as long) would otherwise answer later than a name of no account."""
    started = time.monotonic()
    key = lock_key(model, who.name)
    attempt = await _take_attempt(key, now)
    ok = await passwords.verify_password(who.found.password_hash if who.found else None, password)
    if attempt is None or not ok:
        await record_ip_failure(ip, now)
        message = BAD_LOGIN
        if attempt is None:
            message = LOCKED
        elif attempt >= LOCK_AFTER:  # the last one: the name is locked (once, whoever of those at once gets here)
            await LoginLock.filter(key=key, locked_until__isnull=True).update(locked_until=now + LOCK_FOR)
            message = LOCKED
        await asyncio.sleep(max(0.0, _failure_seconds - (time.monotonic() - started)))
        return None, message
    await LoginLock.filter(key=key).delete()  # a right password clears the failures
    if passwords.needs_rehash(who.found.password_hash):  # made at another cost: stored anew, once
        await model.filter(id=who.found.id, password_hash=who.found.password_hash).update(
            password_hash=await passwords.hash_password(password))
    return who.found, None


_failure_seconds = 0.5


def configure(*, failure_seconds: float) -> None:
    """How long a refused password takes at least (settings.login_failure_seconds)."""
    global _failure_seconds
    _failure_seconds = failure_seconds


async def _take_attempt(key: str, now) -> int | None:
    """Take one of the LOCK_AFTER attempts of a login name: the attempt's number (1 = the first of the count), or
    None when the name is locked or its attempts are taken (by requests at the same moment). A count with no
    attempt for FORGET_AFTER, or whose lock is over, starts again at one. The row is read first (cheap) to
    choose the one write, which is conditional: of requests at once, no more than the count get an attempt."""
    for _ in range(3):
        row = await LoginLock.get_or_none(key=key)
        if row is None:  # a name's first attempt (the usual case)
            try:
                await LoginLock.create(key=key, failures=1, failed_at=now)
                return 1
            except IntegrityError:  # the first attempts of a name at once: the other one created the row
                continue
        if row.failed_at < now - FORGET_AFTER or (row.locked_until is not None and row.locked_until <= now):
            over = Q(failed_at__lt=now - FORGET_AFTER) | Q(locked_until__lte=now)
            if await LoginLock.filter(over, key=key).update(failures=1, failed_at=now, locked_until=None):
                return 1
            continue
        if row.locked_until is not None or row.failures >= LOCK_AFTER:
            return None  # locked, or every attempt of the count is being checked
        live = Q(failed_at__gte=now - FORGET_AFTER) & Q(locked_until__isnull=True)
        if await LoginLock.filter(live, key=key, failures__lt=LOCK_AFTER).update(failures=F("failures") + 1,
                                                                                 failed_at=now):
            row = await LoginLock.get_or_none(key=key)
            return row.failures if row else 1
    return None


async def unlock(model, *names: str) -> None:
    """Clear the failures and the lock of these login names (a password reset unlocks the account)."""
    await LoginLock.filter(key__in=[lock_key(model, name) for name in names]).delete()


def purgeable_failures(now) -> Q:
    """Address failures out of the throttle's window."""
    return Q(at__lte=now - IP_WINDOW)


def purgeable_locks(now) -> Q:
    """The LoginLock rows that say nothing any more: not locked now, no failure for FORGET_AFTER."""
    return Q(failed_at__lt=now - FORGET_AFTER) & (Q(locked_until__isnull=True) | Q(locked_until__lte=now))
