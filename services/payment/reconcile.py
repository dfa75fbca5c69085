"""对账 (reviewers): the orders of the reviewer's scope by state, the paid total, the latest orders, and the
notifications that did not match (late_paid, rejected). States are the candidate's (orders.effective_status):
an open order past its expiry counts and shows as closed before the close job runs."""
from __future__ import annotations

from datetime import datetime

from tortoise.functions import Count, Sum

from models.payments import Order, OrderStatus, PaymentNotification
from services.payment.orders import effective_status, expired
from services.registration.fees import yuan
from services.review.scope import Scope

UNMATCHED = ("late_paid", "rejected")


async def order_counts(scope: Scope, now: datetime) -> tuple[dict[str, int], int]:
    """Orders by effective state, and the paid total in fen."""
    rows = await Order.filter(scope.orders()).group_by("status").annotate(n=Count("id"), total=Sum("amount_fen")).values(
        "status", "n", "total")
    by_status = {r["status"]: r for r in rows}
    n = {status: by_status.get(status, {}).get("n", 0) for status in OrderStatus.LABELS}
    late = await Order.filter(scope.orders(), expired(now)).count()
    counts = {OrderStatus.OPEN: n[OrderStatus.OPEN] - late, OrderStatus.PAID: n[OrderStatus.PAID],
              OrderStatus.CLOSED: n[OrderStatus.CLOSED] + late}
    return counts, by_status.get(OrderStatus.PAID, {}).get("total") or 0


async def reconciliation(scope: Scope, now: datetime) -> dict:
    """What the 对账 page shows: counts, total (yuan), notes (unmatched notifications), orders (the latest 100,
    with their applications), and `effective(order)`, the state each order shows."""
    counts, total = await order_counts(scope, now)
    notes = await PaymentNotification.filter(scope.notifications(), outcome__in=UNMATCHED).order_by("-id").limit(200)
    orders = await Order.filter(scope.orders()).select_related("application").order_by("-id").limit(100)
    return {"counts": counts, "total": yuan(total), "notes": notes, "orders": orders,
            "effective": lambda order: effective_status(order, now)}
