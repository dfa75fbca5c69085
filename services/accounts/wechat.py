"""微信扫码登录: one WechatLogin row per QR code shown, bound to the browser (session id hash) that showed it.

    pending ──(the phone confirms: the provider calls back with a code)──▶ confirmed
    pending ──(the phone cancels)──▶ cancelled          pending past expires_at: expired (not stored)
    confirmed ──(code exchanged for the openid; an account has it)──▶ done    (logged in)
    confirmed ──(code exchanged; no account has it yet)──▶ bind ──(证件号码 and 密码)──▶ done

Every move is a conditional update on the state it leaves, so a double poll or two tabs move it once.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from models.accounts import Account, WechatLogin
from services.providers.wechat import WechatError, WechatProvider

QR_TTL = timedelta(minutes=5)
BIND_FAILED = "绑定失败，请重新扫码"
BOUND_ELSEWHERE = "该账号已绑定其他微信，请先登录后在账号信息中解除绑定"


async def start(sid_hash: str, now: datetime) -> WechatLogin:
    return await WechatLogin.create(state=secrets.token_urlsafe(24), sid=sid_hash, created_at=now,
                                    expires_at=now + QR_TTL)


async def of_browser(state: str, sid_hash: str) -> WechatLogin | None:
    """The login of this QR code, only for the browser that showed it."""
    return await WechatLogin.get_or_none(state=state, sid=sid_hash)


async def poll(row: WechatLogin, provider: WechatProvider, now: datetime) -> tuple[str, Account | None]:
    """Where this login stands: ('pending' | 'expired' | 'cancelled' | 'bind', None) or ('done', account)."""
    if row.status == "pending" and row.expires_at <= now:
        return "expired", None
    if row.status != "confirmed":
        return row.status, None
    try:
        openid = await provider.exchange_code(row.code, now=now)
    except WechatError:  # the code was used (another poll exchanged it) or has expired
        return "expired", None
    account = await Account.get_or_none(wechat_openid=openid)
    status = "done" if account else "bind"
    if not await WechatLogin.filter(state=row.state, status="confirmed").update(status=status, openid=openid):
        return "expired", None
    return status, account


async def scanned(state: str, now: datetime) -> WechatLogin | None:
    """The login a phone has just scanned, while it can still be confirmed or cancelled."""
    row = await WechatLogin.get_or_none(state=state)
    return row if row is not None and row.status == "pending" and row.expires_at > now else None


async def confirm(state: str, code: str) -> bool:
    """The provider's callback after the phone confirmed: the authorization code for this login."""
    return bool(await WechatLogin.filter(state=state, status="pending").update(status="confirmed", code=code))


async def cancel(state: str) -> bool:
    return bool(await WechatLogin.filter(state=state, status="pending").update(status="cancelled"))


def may_bind(row: WechatLogin, now: datetime) -> bool:
    return row.status == "bind" and bool(row.openid) and row.expires_at + QR_TTL > now


async def bind(row: WechatLogin, account: Account) -> str | None:
    """Bind the scanned WeChat identity to an account whose password was just checked. Returns the error
    message, or None once bound (the login is then done)."""
    if account.wechat_openid:
        return BOUND_ELSEWHERE
    try:
        bound = await Account.filter(id=account.id, wechat_openid__isnull=True).update(wechat_openid=row.openid)
    except IntegrityError:  # this WeChat identity was bound to another account meanwhile
        bound = 0
    if not bound or not await WechatLogin.filter(state=row.state, status="bind").update(status="done"):
        return BIND_FAILED
    return None


async def unbind(account_id: int) -> bool:
    return bool(await Account.filter(id=account_id, wechat_openid__isnull=False).update(wechat_openid=None))
