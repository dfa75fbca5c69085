"""短信验证码: 6 digits from `secrets`, valid 3 minutes, single use, void after 5 wrong tries, stored as an HMAC
(never in clear). Sent only after the image captcha is passed, at most once per phone per 3 minutes and
PER_PHONE_DAY times per phone and China day, and PER_ADDRESS times per address per ADDRESS_WINDOW: the counts
are rows in the database (SmsThrottle, RateWindow), shared by every process.

A code has a purpose: 注册 (refused for a phone that is already registered) or 找回密码 (sent only to a
registered phone, but answered the same either way, in the same time, so the page never tells whether a phone
is registered).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from models.accounts import Account, RateWindow, SmsCode, SmsThrottle
from services import clock
from services.providers.sms import SmsProvider, SmsSendError

log = logging.getLogger("kjks.sms")

TTL = timedelta(minutes=3)
RESEND_AFTER = timedelta(minutes=3)
MAX_TRIES = 5
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits: \d also takes ０-９ and other scripts' digits
PURPOSES = ("register", "reset")  # 注册, 找回密码
PER_PHONE_DAY = 10  # sends per phone and China day
PER_ADDRESS = 20  # sends per address per window: an office behind one address must still be able to register
ADDRESS_WINDOW = timedelta(hours=1)
PHONE_TAKEN = "该手机号已注册。如需更换，请查看帮助中心"  # the page makes 帮助中心 a link (partials/forms.html)
DAY_LIMITED = "该手机号今日获取验证码次数已达上限，请明天再试"
ADDRESS_LIMITED = "该网络获取验证码次数过多，请1小时后再试"
SEND_FAILED = "短信发送失败，请核对手机号后重试"


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
    """What 免费获取验证码 answers: the error message (None when sent), the seconds until the next send, and the
    field the message belongs next to ("phone", or "captcha" for the image captcha)."""

    error: str | None
    wait: int
    field: str = "phone"


async def request_code(provider: SmsProvider, phone: str, purpose: str, *, secret: str, now, ip: str,
                       captcha: Callable[[], Awaitable[str | None]]) -> Sent:
    """免费获取验证码 for one of PURPOSES, from the address `ip`, once the image captcha is passed: `captcha` is
    this browser's check (services.accounts.captcha.checker), consumed whatever else happens.

    For 找回密码 a phone of no account goes through every step a registered one does (its send slot, its daily
    count, a code stored) except the delivery, so both get the same answers in the same time."""
    if err := phone_error(phone):
        return Sent(err, 0)
    if err := await captcha():
        return Sent(err, 0, "captcha")
    registered = await phone_registered(phone)
    if purpose == "register" and registered:
        return Sent(PHONE_TAKEN, 0)
    if not await take_window(f"sms-ip:{ip}", PER_ADDRESS, ADDRESS_WINDOW, now):
        return Sent(ADDRESS_LIMITED, 0)
    return Sent(*await send_code(provider, phone, purpose, secret=secret, now=now,
                                 deliver=purpose == "register" or registered))


def _hash(secret: str, phone: str, code: str) -> str:
    return hmac.new(secret.encode(), f"sms:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


async def take_window(key: str, limit: int, window: timedelta, now) -> bool:
    """Take one of `limit` places in the current window of `key` (RateWindow), shared by every process: a new
    window starts when the last one is over. False when the window is full. The row is read first (a read is
    cheap, db/sqlite_engine.py) to choose the one write; that write is conditional, so requests at once never
    take more than `limit`, and one that loses a race looks again."""
    for _ in range(3):
        row = await RateWindow.get_or_none(key=key)
        if row is None:
            try:
                await RateWindow.create(key=key, count=1, until=now + window)
                return True
            except IntegrityError:  # the first request of this key at once: the other one created it
                continue
        if row.until > now:
            if row.count >= limit:
                return False
            if await RateWindow.filter(key=key, until__gt=now, count__lt=limit).update(count=F("count") + 1):
                return True
        elif await RateWindow.filter(key=key, until__lte=now).update(count=1, until=now + window):
            return True
        # Another request took the last place or started a new window meanwhile: look again.
    return False


async def _claim_send_slot(phone: str, now) -> tuple[str | None, int]:
    """Take the phone's send slot: none in the last RESEND_AFTER and fewer than PER_PHONE_DAY sends this China
    day. Returns (None, 0) when taken, else (the message, the seconds to wait). The row is read first to choose
    the write; one conditional update (or the primary key on insert) decides, so two concurrent sends cannot
    both pass."""
    day = clock.china_date(now)
    row = await SmsThrottle.get_or_none(phone=phone)
    if row is None:  # the phone's first code (the usual case)
        try:
            await SmsThrottle.create(phone=phone, last_sent_at=now, day=day, sent_today=1)
            return None, 0
        except IntegrityError:
            row = await SmsThrottle.get(phone=phone)
    if row.day is None or row.day < day:
        # A new China day: the count starts again (a conditional update, done once whoever runs it).
        await SmsThrottle.filter(Q(day__isnull=True) | Q(day__lt=day), phone=phone).update(day=day, sent_today=0)
    if await SmsThrottle.filter(phone=phone, last_sent_at__lte=now - RESEND_AFTER, sent_today__lt=PER_PHONE_DAY
                                ).update(last_sent_at=now, sent_today=F("sent_today") + 1):
        return None, 0
    row = await SmsThrottle.get(phone=phone)
    if row.sent_today >= PER_PHONE_DAY:
        return DAY_LIMITED, 0
    wait = max(1, int((row.last_sent_at + RESEND_AFTER - now).total_seconds() + 0.999))
    return f"验证码已发送，请{wait}秒后再重新获取", wait


_deliveries: set[asyncio.Task] = set()  # kept until done (the event loop holds tasks only weakly)


def _in_background(delivery) -> None:
    if delivery is not None:
        task = asyncio.get_running_loop().create_task(delivery)
        _deliveries.add(task)
        task.add_done_callback(_deliveries.discard)


async def _deliver(provider: SmsProvider, phone: str, code: str, now) -> None:
    try:
        await provider.send_code(phone, code, now=now)
    except SmsSendError:
        log.warning("sending a reset code failed")  # answered as sent: the candidate asks again after the wait
    except Exception:
        log.exception("sending a reset code failed")


async def _give_slot_back(phone: str, now) -> None:
    """After a failed delivery: the person may try again at once, and the send does not count."""
    if not await SmsThrottle.filter(phone=phone, last_sent_at=now, sent_today__lte=1).delete():
        await SmsThrottle.filter(phone=phone, last_sent_at=now).update(last_sent_at=now - RESEND_AFTER,
                                                                        sent_today=F("sent_today") - 1)


async def send_code(provider: SmsProvider, phone: str, purpose: str, *, secret: str, now,
                    deliver: bool = True) -> tuple[str | None, int]:
    """Send a code. Returns (error message or None, seconds until the next send is allowed). With
    `deliver=False` (找回密码 for a phone of no account) every step runs but the delivery."""
    refused, wait = await _claim_send_slot(phone, now)
    if refused:
        return refused, wait
    code = f"{secrets.randbelow(10**6):06d}"
    if purpose == "reset":
        # 找回密码 answers before the delivery, registered or not: the time a gateway takes to deliver (and a
        # failure to) must not tell that the phone is registered.
        _in_background(_deliver(provider, phone, code, now) if deliver else None)
    elif deliver:
        try:
            await provider.send_code(phone, code, now=now)
        except SmsSendError:
            await _give_slot_back(phone, now)
            return SEND_FAILED, 0
    live = SmsCode.filter(phone=phone, purpose=purpose, used_at__isnull=True)
    if await live.exists():  # a read (cheap) spares the phone's first code a write that changes nothing
        await live.update(used_at=now)  # older codes die
    await SmsCode.create(phone=phone, purpose=purpose, code_hash=_hash(secret, phone, code), created_at=now,
                         expires_at=now + TTL)
    return None, int(RESEND_AFTER.total_seconds())


async def check_code(phone: str, purpose: str, code: str, *, secret: str, now) -> str | None:
    """Use up the phone's latest code if `code` matches. Returns the error message, or None."""
    if not code:
        return "请输入短信验证码"
    if not re.fullmatch(r"[0-9]{6}", code):
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


# ---------------------------------------------------------------------- what the housekeeping job purges


def purgeable_codes(now) -> Q:
    """Codes past their expiry for a day (until then check_code can still say "已过期")."""
    return Q(expires_at__lt=now - timedelta(days=1))


def purgeable_throttles(now) -> Q:
    """Send slots that limit nothing any more: the wait is over and their China day is past."""
    return Q(last_sent_at__lte=now - RESEND_AFTER) & (Q(day__isnull=True) | Q(day__lt=clock.china_date(now)))


def purgeable_windows(now) -> Q:
    return Q(until__lte=now)
