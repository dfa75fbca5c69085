"""微信扫码登录: one WechatLogin row per QR code shown, bound to the browser (session id hash) that showed it.

    pending ──(the phone confirms: the provider calls back with a code)──▶ confirmed
    pending ──(the phone cancels)──▶ cancelled          pending past expires_at: expired (not stored)
    confirmed ──(code exchanged for the openid; an account has it)──▶ done    (logged in)
    confirmed ──(code exchanged; no account has it yet)──▶ bind ──(证件号码 and 密码)──▶ done

Every move is a conditional update on the state it leaves (and, while the code can expire, on the time), and its
row count decides: a double poll, two tabs or a late tap on the phone move it once. Logging in is the views' part
(web.sessions.log_in): these functions only say whom to log in.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from db import transactions
from models.accounts import Account, WechatLogin
from services.providers.wechat import WechatError, WechatProvider

QR_TTL = timedelta(minutes=5)
BIND_FAILED = "绑定失败，请重新扫码"
BOUND_ELSEWHERE = "该账号已绑定其他微信，请先登录后在账号信息中解除绑定"


class _Refused(Exception):
    """Rolls the binding back: one of its two updates did not apply."""


async def start(sid_hash: str, now: datetime) -> WechatLogin:
    return await WechatLogin.create(state=secrets.token_urlsafe(24), sid=sid_hash, created_at=now,
                                    expires_at=now + QR_TTL)


async def of_browser(state: str, sid_hash: str) -> WechatLogin | None:
    """The login of this QR code, only for the browser that showed it."""
    return await WechatLogin.get_or_none(state=state, sid=sid_hash)


async def scanned(state: str, now: datetime) -> WechatLogin | None:
    """The login a phone has just scanned, while it can still be confirmed or cancelled."""
    return await WechatLogin.get_or_none(state=state, status="pending", expires_at__gt=now)


# ---------------------------------------------------------------------- the phone's side


async def confirm(state: str, code: str, now: datetime) -> bool:
    """The provider's callback after the phone confirmed: the authorization code for this login."""
    return bool(await WechatLogin.filter(state=state, status="pending", expires_at__gt=now).update(
        status="confirmed", code=code))


async def cancel(state: str, now: datetime) -> bool:
    return bool(await WechatLogin.filter(state=state, status="pending", expires_at__gt=now).update(status="cancelled"))


# ---------------------------------------------------------------------- the browser's side


async def poll(row: WechatLogin, provider: WechatProvider, now: datetime) -> tuple[str, Account | None]:
    """Where this login stands: ('pending' | 'expired' | 'cancelled' | 'bind' | 'done', None), or ('done', account)
    for the one poll that has just moved it to done (that request logs the account in)."""
    if row.status == "pending" and row.expires_at <= now:
        return "expired", None
    if row.status != "confirmed":
        return row.status, None
    try:
        openid = await provider.exchange_code(row.code, now=now)
    except WechatError:  # a concurrent poll of this browser exchanged the code, or it has expired
        return await _moved_to(row, now), None
    account = await Account.get_or_none(wechat_openid=openid)
    status = "done" if account else "bind"
    if not await WechatLogin.filter(state=row.state, status="confirmed").update(status=status, openid=openid):
        return await _moved_to(row, now), None
    return status, account


async def _moved_to(row: WechatLogin, now: datetime) -> str:
    """Where the poll that exchanged the code moved this login. Still confirmed: that poll is on its way (say
    pending, and the next poll knows), unless the QR code's time is over."""
    status = (await WechatLogin.filter(state=row.state).values_list("status", flat=True) or ["confirmed"])[0]
    if status == "confirmed":
        return "pending" if row.expires_at > now else "expired"
    return status


def may_bind(row: WechatLogin, now: datetime) -> bool:
    return row.status == "bind" and bool(row.openid) and row.expires_at + QR_TTL > now


def purgeable(now: datetime) -> Q:
    """Logins that can no longer move: past their time and the binding's (purged by accounts.housekeeping)."""
    return Q(expires_at__lte=now - QR_TTL)


async def bind(row: WechatLogin, account: Account, now: datetime) -> str | None:
    """Bind the scanned WeChat identity to an account whose password was just checked: the login moves bind → done
    and the account takes the openid, both or neither. Returns the error message, or None once bound."""
    if account.wechat_openid:
        return BOUND_ELSEWHERE
    async def change() -> None:
        # Lock order (db.transactions): the account row, then the login.
        if not await Account.filter(id=account.id, wechat_openid__isnull=True).update(wechat_openid=row.openid):
            raise _Refused
        if not await WechatLogin.filter(state=row.state, status="bind", openid=row.openid,
                                        expires_at__gt=now - QR_TTL).update(status="done"):
            raise _Refused

    try:
        await transactions.atomic(change)
    except (_Refused, IntegrityError):  # IntegrityError: this WeChat identity was bound to another account meanwhile
        return BIND_FAILED
    return None


async def unbind(account_id: int) -> bool:
    return bool(await Account.filter(id=account_id, wechat_openid__isnull=False).update(wechat_openid=None))
