"""The notification job: records the time-based events due (services.notifications.events.detect) and sends the
SMS due (services.notifications.sending.send_due), every EVERY seconds, started by the app's lifespan in every
process. Both halves are safe with several processes and nodes at once: the unique key gives one row per event,
the claim one sender per SMS.
"""
from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime

from services import clock, metrics
from services.notifications import events, sending
from services.providers.sms import SmsProvider

log = logging.getLogger("kjks.notifications")
EVERY = 30  # seconds between runs
MAX_BATCHES = 50  # of sending.BATCH SMS in one run


async def run_once(provider: SmsProvider, now: datetime) -> tuple[dict[str, int], int]:
    """Record what is due, then send batches until none is left (at most MAX_BATCHES, so that a run ends)."""
    found = await events.detect(now)
    sent = 0
    for _ in range(MAX_BATCHES):
        tried, ok = await sending.send_due(provider, now)
        sent += ok
        if tried < sending.BATCH:
            break
    return found, sent


async def notify_forever(provider: SmsProvider, every: float = EVERY) -> None:
    """The job (started by the app's lifespan with app.state.providers.sms)."""
    while True:
        try:
            found, sent = await run_once(provider, clock.now())
            if sent or any(found.values()):
                log.info("notifications: recorded %s, sent %d SMS", found, sent)
            metrics.job("notifications", ok=True)
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("the notification job failed")
            metrics.job("notifications", ok=False)
        await asyncio.sleep(every * random.uniform(0.8, 1.2))
