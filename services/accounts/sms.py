"""短信验证码: 6 digits from `secrets`, valid 3 minutes, one send per phone per 3 minutes, single use,
void after 5 wrong tries, stored as an HMAC (never in clear).

A code has a purpose: 注册 (refused for a phone that is already registered) or 找回密码 (sent only to a
registered phone, but answered the same either way, so the page never tells whether a phone is registered).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from models.accounts import Account, SmsCode, SmsThrottle
from services.providers.sms import SmsProvider, SmsSendError

TTL = timedelta(minutes=3)
RESEND_AFTER = timedelta(minutes=3)
MAX_TRIES = 5
PHONE_RE = re.compile(r"1[3-9]\d{9}")
PURPOSES = ("register", "reset")  # 注册, 找回密码
PHONE_TAKEN = "该手机号已注册。如需更换，请查看帮助中心"


def phone_error(phone: str) -> str | None:
    if not phone:
        return "请输入手机号"
    if not PHONE_RE.fullmatch(phone):
        return "请输入11位中国大陆手机号（以13至19开头）"
    return None


async def phone_registered(phone: str) -> bool:
    return await Account.exists(phone=phone)


@dataclass(frozen=True)
class Sent:
    """What 免费获取验证码 answers: the error message (None when sent) and the seconds until the next send."""

    error: str | None
    wait: int


async def request_code(provider: SmsProvider, phone: str, purpose: str, *, secret: str, now) -> Sent:
    """免费获取验证码 for one of PURPOSES."""
    if err := phone_error(phone):
        return Sent(err, 0)
    registered = await phone_registered(phone)
    if purpose == "register" and registered:
        return Sent(PHONE_TAKEN, 0)
    if purpose == "reset" and not registered:  # nothing is sent, and the answer looks the same
        return Sent(None, int(RESEND_AFTER.total_seconds()))
    return Sent(*await send_code(provider, phone, purpose, secret=secret, now=now))


def _hash(secret: str, phone: str, code: str) -> str:
    return hmac.new(secret.encode(), f"sms:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


async def _claim_send_slot(phone: str, now) -> int:
    """Take the phone's send slot. Returns 0 when taken, else the seconds to wait.

    A conditional update (or the primary key on insert) decides, so two concurrent sends cannot both pass.
    """
    updated = await SmsThrottle.filter(phone=phone, last_sent_at__lte=now - RESEND_AFTER).update(last_sent_at=now)
    if updated:
        return 0
    row = await SmsThrottle.get_or_none(phone=phone)
    if row is None:
        try:
            await SmsThrottle.create(phone=phone, last_sent_at=now)
            return 0
        except IntegrityError:
            row = await SmsThrottle.get(phone=phone)
    return max(1, int((row.last_sent_at + RESEND_AFTER - now).total_seconds() + 0.999))


async def send_code(provider: SmsProvider, phone: str, purpose: str, *, secret: str, now) -> tuple[str | None, int]:
    """Send a code. Returns (error message or None, seconds until the next send is allowed)."""
    wait = await _claim_send_slot(phone, now)
    if wait:
        return f"验证码已发送，请{wait}秒后再重新获取", wait
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        await provider.send_code(phone, code, now=now)
    except SmsSendError:
        # Give the slot back so the person can try again at once.
        await SmsThrottle.filter(phone=phone, last_sent_at=now).delete()
        return "短信发送失败，请核对手机号后重试", 0
    await SmsCode.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(used_at=now)  # older codes die
    await SmsCode.create(phone=phone, purpose=purpose, code_hash=_hash(secret, phone, code), created_at=now,
                         expires_at=now + TTL)
    return None, int(RESEND_AFTER.total_seconds())


async def check_code(phone: str, purpose: str, code: str, *, secret: str, now) -> str | None:
    """Use up the phone's latest code if `code` matches. Returns the error message, or None."""
    if not code:
        return "请输入短信验证码"
    if not re.fullmatch(r"\d{6}", code):
        return "短信验证码为6位数字"
    row = await SmsCode.filter(phone=phone, purpose=purpose).order_by("-created_at", "-id").first()
    if row is None:
        return "请先获取短信验证码"
    if row.used_at is not None:
        return "短信验证码已使用或已失效，请重新获取"
    if row.expires_at <= now:
        return "短信验证码已过期，请重新获取"
    # Take an attempt before comparing, conditionally: concurrent guesses cannot exceed MAX_TRIES.
    took = await SmsCode.filter(id=row.id, used_at__isnull=True, attempts__lt=MAX_TRIES).update(
        attempts=F("attempts") + 1)
    if not took:
        return "短信验证码错误次数过多，已失效，请重新获取"
    if not hmac.compare_digest(row.code_hash, _hash(secret, phone, code)):
        left = MAX_TRIES - row.attempts - 1
        return f"短信验证码错误，还可尝试{left}次" if left > 0 else "短信验证码错误次数过多，已失效，请重新获取"
    used = await SmsCode.filter(id=row.id, used_at__isnull=True).update(used_at=now)
    return None if used else "短信验证码已使用或已失效，请重新获取"
