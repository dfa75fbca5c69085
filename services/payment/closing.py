"""The close job: unpaid orders close on time without a separate scheduler, safe with several processes (each
close is a conditional update that happens once, whoever runs it). One order is closed by
services.payment.orders.close; "expired" is services.payment.orders.expired, the rule the pages show."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from db import transactions
from models.payments import Order
from services import clock, metrics
from services.payment.orders import closed_values, expired
from services.providers.payment import PaymentProvider

log = logging.getLogger("kjks.payment")
CLOSE_EVERY = 30  # seconds between runs of the close job


async def close_expired(now: datetime, provider: PaymentProvider) -> int:
    """Close every open order past its expiry: one conditional UPDATE, so several processes may run it at once;
    only the orders this run closed have their gateway payments closed. Returns how many."""
    due = await Order.filter(expired(now)).values_list("id", "number")
    if not due:
        return 0
    # One statement over many orders: two processes running it at once may deadlock on PostgreSQL (rows locked in
    # another order), and the one aborted runs again (it then closes what the other left).
    count = await transactions.atomic(
        lambda: Order.filter(expired(now), id__in=[i for i, _ in due]).update(**closed_values(now)))
    for number in await Order.filter(id__in=[i for i, _ in due], closed_at=now).values_list("number", flat=True):
        try:
            await provider.close(number)
        except Exception:  # the gateway is down: its trade stays pending, a late payment goes to 对账
            log.exception("closing payment %s at the gateway failed", number)
    return count


async def close_expired_forever(provider: PaymentProvider) -> None:
    """The close job (started by the app's lifespan with app.state.providers.payments)."""
    while True:
        try:
            closed = await close_expired(clock.now(), provider)
            if closed:
                log.info("closed %d expired orders", closed)
            metrics.job("close_expired", ok=True)
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("closing expired orders failed")
            metrics.job("close_expired", ok=False)
        await asyncio.sleep(CLOSE_EVERY)
