"""Housekeeping: the rows that anonymous requests leave (a captcha per image drawn, a WeChat login per QR code
shown, SMS codes and their limits, failed logins, Alipay certifications, ended sessions, the sandboxes' records)
are deleted once they can no longer change an answer.

`purge_expired(now)` deletes them: one conditional DELETE per table, each through db.transactions.atomic (run
again if the database aborts it as a deadlock), so several processes may run it at once; what one deleted the
others find gone. `purge_forever(every)` runs it every `every` seconds (a little randomised, so processes started
together spread out); the app's lifespan starts it. What is kept how long is each owner's rule: the `purgeable*`
functions of captcha, wechat, sms, login, sessions and realname.
"""
from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.models import Model

from db import transactions
from models.accounts import Captcha, LoginFailure, LoginLock, RateWindow, Session, SmsCode, SmsThrottle, WechatLogin
from models.profiles import AlipayAttempt
from models.sandbox import AlipayCertification, SmsOutbox, WechatGrant
from services import clock, metrics
from services.accounts import captcha, login, realname, sessions, sms, wechat

log = logging.getLogger("kjks.housekeeping")
PURGE_EVERY = 300  # seconds between runs
SANDBOX_KEEP = timedelta(days=1)  # the sandboxes' outbox and grants, for the /dev pages


def _rules(now: datetime, idle_seconds: int, max_seconds: int) -> list[tuple[type[Model], Q]]:
    return [
        (Captcha, captcha.purgeable(now)),
        (WechatLogin, wechat.purgeable(now)),
        (SmsCode, sms.purgeable_codes(now)),
        (SmsThrottle, sms.purgeable_throttles(now)),
        (RateWindow, sms.purgeable_windows(now)),
        (LoginFailure, login.purgeable_failures(now)),
        (LoginLock, login.purgeable_locks(now)),
        (AlipayAttempt, realname.purgeable_attempts(now)),
        (Session, sessions.expired(now, idle_seconds=idle_seconds, max_seconds=max_seconds)),
        (SmsOutbox, Q(sent_at__lte=now - SANDBOX_KEEP)),
        (WechatGrant, Q(expires_at__lte=now - SANDBOX_KEEP)),
        (AlipayCertification, Q(expires_at__lte=now - SANDBOX_KEEP)),
    ]


async def purge_expired(now: datetime, *, idle_seconds: int, max_seconds: int) -> dict[str, int]:
    """Delete what can no longer change an answer. Returns how many rows of each table this run deleted."""
    deleted = {}
    for model, rule in _rules(now, idle_seconds, max_seconds):
        deleted[model._meta.db_table] = await transactions.atomic(lambda m=model, q=rule: m.filter(q).delete())
    return deleted


async def purge_forever(every: float = PURGE_EVERY, *, idle_seconds: int, max_seconds: int) -> None:
    """The housekeeping job (started by the app's lifespan, with the settings' session limits)."""
    while True:
        try:
            deleted = await purge_expired(clock.now(), idle_seconds=idle_seconds, max_seconds=max_seconds)
            if any(deleted.values()):
                log.info("purged %s", ", ".join(f"{n} {table}" for table, n in deleted.items() if n))
            metrics.job("housekeeping", ok=True)
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("housekeeping failed")
            metrics.job("housekeeping", ok=False)
        await asyncio.sleep(every * random.uniform(0.8, 1.2))
