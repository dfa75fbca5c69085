"""Sending the notifications' SMS through the SMS provider (services.providers.sms), once each, with retries.

A sender claims a row before calling the provider: one conditional UPDATE that moves it to `sending` and counts
the attempt, on the attempt count it read (`sms_attempts` is the row's version), so of two processes (or nodes)
only one claims it and the other goes on to the next row. The claim lasts CLAIM: a sender that died while holding
it leaves the row to be taken over then (the one case where an SMS may go twice: the provider accepted it and the
process died before recording that).

A provider failure is recorded (SmsAttempt, the office sees each on the application's detail) and the row waits
RETRY_BASE × 2^(n-1) before the next try; after MAX_ATTEMPTS it is `failed`. The 消息 is there either way.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import Q

from db import transactions
from models.notifications import Notification, SmsAttempt, SmsStatus
from services.providers.sms import SmsProvider

log = logging.getLogger("kjks.notifications")

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between the five attempts
CLAIM = timedelta(minutes=2)  # longer than any provider call takes
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return RETRY_BASE * 2 ** (attempts - 1)


def due(now: datetime) -> Q:
    """Rows whose SMS is to be tried now: pending and past their wait, or claimed by a sender that is gone."""
    return Q(sms_status__in=(SmsStatus.PENDING, SmsStatus.SENDING), sms_next_at__lte=now)


async def _claim(row_id: int, attempts: int, now: datetime) -> bool:
    return bool(await Notification.filter(due(now), id=row_id, sms_attempts=attempts).update(
        sms_status=SmsStatus.SENDING, sms_attempts=attempts + 1, sms_next_at=now + CLAIM))


async def _finish(row_id: int, attempt: int, now: datetime, error: str | None) -> None:
    if error is None:
        values = {"sms_status": SmsStatus.SENT, "sms_sent_at": now, "sms_next_at": None}
    elif attempt >= MAX_ATTEMPTS:
        values = {"sms_status": SmsStatus.FAILED, "sms_last_error": error, "sms_next_at": None}
    else:
        values = {"sms_status": SmsStatus.PENDING, "sms_last_error": error, "sms_next_at": now + backoff(attempt)}

    async def record():
        # Only while this sender's claim stands (the attempt count it set): a takeover after CLAIM owns the row.
        if await Notification.filter(id=row_id, sms_status=SmsStatus.SENDING, sms_attempts=attempt).update(**values):
            await SmsAttempt.create(notification_id=row_id, at=now, ok=error is None, error=error)

    await transactions.atomic(record)


async def send_one(row_id: int, attempts: int, phone: str | None, text: str, provider: SmsProvider,
                   now: datetime) -> str | None:
    """Claim and send one row's SMS (`text`, to the account's `phone`). Returns its status afterwards, or None
    when another sender has it."""
    if not await _claim(row_id, attempts, now):
        return None
    attempt = attempts + 1
    error = None
    try:
        if not phone:
            raise ValueError("账号没有手机号")
        await provider.send_text(phone, text, now=now)
    except Exception as e:  # the provider refused or is down: recorded, tried again later
        error = (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)[:200]
        log.warning("notification %d SMS attempt %d failed: %s", row_id, attempt, error)
    await _finish(row_id, attempt, now, error)
    return SmsStatus.SENT if error is None else SmsStatus.FAILED if attempt >= MAX_ATTEMPTS else SmsStatus.PENDING


async def send_due(provider: SmsProvider, now: datetime, limit: int = BATCH) -> tuple[int, int]:
    """Send what is due now (up to `limit` rows). Returns (rows found due, SMS this run sent)."""
    rows = await Notification.filter(due(now)).order_by("id").limit(limit).values_list(
        "id", "sms_attempts", "account__phone", "sms_text")  # the phone as it is now, not when the event happened
    sent = 0
    for row_id, attempts, phone, text in rows:
        if await send_one(row_id, attempts, phone, text, provider, now) == SmsStatus.SENT:
            sent += 1
    return len(rows), sent
