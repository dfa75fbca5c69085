"""The gateway's word on a payment: its asynchronous notification, or our status query (查询支付结果). Both end in
`settle`, and every notification or query answer that says "paid" is recorded (PaymentNotification): 对账
lists the ones that did not match (late_paid, rejected).

Paying is one transaction of two conditional updates (order open → paid, application approved → paid), so a
repeated notification changes nothing; it takes the application's lock before the order's (db.transactions).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError

from db import transactions
from models.applications import Application, Status
from models.payments import Order, OrderStatus, PaymentNotification
from models.reviews import ReviewLog
from services import metrics
from services.payment.orders import close, is_number
from services.providers.payment import PaymentProvider, TradeState

log = logging.getLogger("kjks.payment")


async def settle(order: Order, trade_no: str, paid_at: datetime, now: datetime) -> tuple[str, str]:
    """Apply a payment the gateway vouches for. Returns (outcome, detail): paid / duplicate / late_paid."""
    if order.status == OrderStatus.OPEN and paid_at <= order.expires_at:
        async def pay() -> tuple[int, int]:
            # Lock order (db.transactions): the application before its order, as 重新报名 takes them; taking the
            # order first deadlocked against a withdrawal holding the application and closing this order.
            await transactions.lock(Application, id=order.application_id)
            moved = await Order.filter(id=order.id, status=OrderStatus.OPEN).update(
                status=OrderStatus.PAID, open_key=None, paid_at=paid_at, trade_no=trade_no)
            app_moved = moved and await Application.filter(id=order.application_id, status=Status.APPROVED).update(
                status=Status.PAID, paid_at=paid_at)
            if app_moved:
                await ReviewLog.record(order.application_id, "paid", Status.APPROVED, Status.PAID, now, actor="系统")
            return moved, app_moved

        moved, app_moved = await transactions.atomic(pay)
        if app_moved:
            metrics.payment()  # committed: this notification (or query) moved the application
            return "paid", ""
        if moved:  # money for this order, but the application had left 审核通过 (重新报名): 对账 must see it
            return "late_paid", "报名已不是审核通过状态"
    order = await Order.get(id=order.id)
    if order.status == OrderStatus.PAID:
        if order.trade_no == trade_no:
            return "duplicate", ""
        return "late_paid", f"订单已由交易{order.trade_no}支付，本笔为重复支付"
    # Paid after the order's expiry: it is closed (here, or by the job a moment ago: the outcome is the same),
    # and the money goes to 对账.
    await close(order.id, now)
    return "late_paid", "订单已关闭后支付"


EARLIEST = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _parse_paid_at(value: str, now: datetime) -> datetime | None:
    """The payment's time: with its zone, in UTC, and one a payment can have (from 2020 to a day from now).
    A signed 0001-01-01T00:00:00+14:00 once became paid_at and made every page that shows it a 500."""
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return parsed if EARLIEST <= parsed <= now + timedelta(days=1) else None


async def _reject(fields: dict, body: str, now: datetime, detail: str, order: Order | None = None) -> bool:
    amount = fields.get("amount_fen", "")
    await PaymentNotification.create(
        order=order, order_number=fields.get("out_trade_no", "")[:64], trade_no=fields.get("trade_no", "")[:64],
        amount_fen=int(amount) if amount.isdigit() and len(amount) < 10 else None, outcome="rejected",
        detail=detail[:200], body=body[:10000], received_at=now)
    return False


async def receive_notification(fields: dict[str, str], body: str, provider: PaymentProvider,
                               now: datetime) -> bool:
    """The gateway's asynchronous notification. True means answer `success` (applied, or already applied)."""
    if not provider.verify(fields):
        # Anyone can post here: what the gateway did not sign goes to the log, not to the table the reviewers'
        # 对账 lists (a flood of forged notifications must not fill the database or that page).
        log.warning("payment notification refused: bad or missing signature, order=%r",
                    fields.get("out_trade_no", "")[:64])
        return False
    if fields["merchant_id"] != provider.merchant_id:
        return await _reject(fields, body, now, f"商户号不符：{fields['merchant_id']}")
    order = await Order.get_or_none(number=fields["out_trade_no"]) if is_number(fields["out_trade_no"]) else None
    if order is None:
        return await _reject(fields, body, now, "订单不存在")
    if fields["amount_fen"] != str(order.amount_fen):
        return await _reject(fields, body, now, f"金额不符：订单{order.amount_fen}分", order)
    paid_at = _parse_paid_at(fields["paid_at"], now)
    if fields["status"] != "paid" or paid_at is None or not 0 < len(fields["trade_no"]) <= 64:
        return await _reject(fields, body, now, "状态、交易号或支付时间无效", order)
    outcome, detail = await settle(order, fields["trade_no"], paid_at, now)
    note = {"order": order, "order_number": order.number, "trade_no": fields["trade_no"],
            "amount_fen": order.amount_fen, "body": body[:10000], "received_at": now}
    if outcome == "late_paid":
        try:
            await PaymentNotification.create(**note, outcome=outcome, detail=detail, late_key=fields["trade_no"])
            return True
        except IntegrityError:  # this late payment is listed already (a repeat, perhaps arriving at once)
            outcome, detail = "duplicate", "重复通知：" + detail
    await PaymentNotification.create(**note, outcome=outcome, detail=detail)
    return True


async def query_and_settle(order: Order, provider: PaymentProvider, now: datetime) -> str:
    """查询支付结果: ask the gateway; a paid trade for this order and amount is applied like a notification.
    Returns the order's status afterwards."""
    if order.status != OrderStatus.OPEN:  # settled already: asking again must not record it again
        return order.status
    state: TradeState = await provider.query(order.number)
    if state.status == "paid" and state.amount_fen == order.amount_fen and state.merchant_id == provider.merchant_id:
        outcome, detail = await settle(order, state.trade_no, state.paid_at, now)
        await PaymentNotification.create(order=order, order_number=order.number, trade_no=state.trade_no,
                                         amount_fen=state.amount_fen, outcome=outcome, detail=detail or "查询支付结果",
                                         body=f"query:{state}", received_at=now)
    return (await Order.get(id=order.id)).status
