"""网上缴费: orders of an approved application, the gateway's notifications about them, and the close job.

An application has at most one open order, enforced by the database (Order.open_key is unique: the
application id while open, NULL once paid or closed). Paying is one transaction of two conditional updates
(order open → paid, application approved → paid), so a repeated notification changes nothing.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services import clock
from services.clock import CN
from models.applications import Application, Status
from models.exams import ExamProvince
from models.payments import Order, OrderStatus, PaymentNotification
from models.reviews import ReviewLog
from services.registration import fees
from services.providers.payment import PaymentError, PaymentProvider, TradeState
from services.registration.wizard import window_state

log = logging.getLogger("kjks.payment")
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
CLOSE_EVERY = 30  # seconds between runs of the close job

NO_ORDER = "none"
STATUS_LABELS = {NO_ORDER: "未生成订单", **OrderStatus.LABELS}


class OrderError(Exception):
    """Refused, with the message for the page."""


def order_number(now: datetime, province_code: str) -> str:
    """订单号码: China date, province code and a random part, e.g. 20271130-11-7F3K9Q2M."""
    random_part = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{now.astimezone(CN):%Y%m%d}-{province_code}-{random_part}"


def expires_at(created: datetime, timeout_seconds: int, pay_end: datetime) -> datetime:
    return min(created + timedelta(seconds=timeout_seconds), pay_end)


def effective_status(order: Order | None, now: datetime) -> str:
    """An open order past its expiry is closed for the candidate even before the close job runs."""
    if order is None:
        return NO_ORDER
    if order.status == OrderStatus.OPEN and order.expires_at <= now:
        return OrderStatus.CLOSED
    return order.status


def window_error(ep: ExamProvince, now: datetime) -> str | None:
    state = window_state(ep.pay_start, ep.pay_end, now)
    if state == "open":
        return None
    when = f"{ep.pay_start.astimezone(CN):%Y-%m-%d %H:%M}至{ep.pay_end.astimezone(CN):%Y-%m-%d %H:%M}"
    return f"缴费{'尚未开始' if state == 'future' else '已结束'}，缴费时间为{when}"


@dataclass(frozen=True)
class ShownOrder:
    """The order shown for an application, and its state as the candidate sees it."""

    order: Order | None
    state: str  # NO_ORDER, or an OrderStatus (an open order past its expiry is closed)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.state]


async def shown_order(app_id: int, now: datetime) -> ShownOrder:
    """The order every page and the 报名表 show: a paid one, else the newest; one rule for all of them."""
    paid = await Order.get_or_none(application_id=app_id, status=OrderStatus.PAID)
    order = paid or await Order.filter(application_id=app_id).order_by("-id").first()
    return ShownOrder(order, effective_status(order, now))


async def close_order(order: Order, provider: PaymentProvider, now: datetime) -> bool:
    """Close an expired open order (once) and the gateway's pending payments for it."""
    closed = await Order.filter(id=order.id, status=OrderStatus.OPEN, expires_at__lte=now).update(
        status=OrderStatus.CLOSED, open_key=None, closed_at=now)
    if closed:
        await provider.close(order.number)
    return bool(closed)


async def create_order(app: Application, ep: ExamProvince, provider: PaymentProvider, now: datetime,
                       timeout_seconds: int) -> Order:
    """生成订单: the open order of this application, created if there is none (a double click, two tabs or a
    retry get the same one: the unique open_key lets exactly one insert win)."""
    if app.status == Status.PAID:
        raise OrderError("报名已缴费成功，无需再生成订单")
    if app.status != Status.APPROVED:
        raise OrderError("报名审核通过后才能缴费")
    if error := window_error(ep, now):
        raise OrderError(error)
    for _ in range(3):
        existing = await Order.get_or_none(open_key=app.id)
        if existing and effective_status(existing, now) == OrderStatus.OPEN:
            return existing
        if existing:
            await close_order(existing, provider, now)
        try:
            order = await Order.create(
                number=order_number(now, ep.province_code), application_id=app.id, open_key=app.id,
                amount_fen=fees.fee_fen(ep, app.subjects), created_at=now,
                expires_at=expires_at(now, timeout_seconds, ep.pay_end))
        except IntegrityError:  # another request won (or, once in 10^12, the random part collided): look again
            continue
        # 重新报名 in another tab between the status read above and this insert: withdrawal closes the open
        # orders it finds, so either it saw this one or the application is no longer approved here.
        if not await Application.exists(id=app.id, status=Status.APPROVED):
            await Order.filter(id=order.id, status=OrderStatus.OPEN).update(status=OrderStatus.CLOSED,
                                                                            open_key=None, closed_at=now)
            raise OrderError("该报名已撤销，不能缴费")
        return order
    raise OrderError("系统繁忙，请稍后再试")


async def start_payment(app: Application, ep: ExamProvince, provider: PaymentProvider, platform: str,
                        now: datetime) -> str:
    """支付: the gateway's payment page for the open order on the chosen platform."""
    if platform not in ep.platforms:
        raise OrderError("请选择支付平台")
    shown = await shown_order(app.id, now)
    order, state = shown.order, shown.state
    if state == OrderStatus.PAID or app.status == Status.PAID:
        raise OrderError("订单已支付，请勿重复支付")
    if state != OrderStatus.OPEN:
        raise OrderError("请先生成订单" if state == NO_ORDER else "订单已关闭，请重新生成订单")
    if error := window_error(ep, now):
        raise OrderError(error)
    subject = f"{app.exam.name}报名费"
    try:
        created = await provider.create(out_trade_no=order.number, amount_fen=order.amount_fen, subject=subject,
                                        platform=platform, now=now)
    except PaymentError as e:
        raise OrderError(str(e)) from e
    await Order.filter(id=order.id, status=OrderStatus.OPEN).update(platform=platform)
    return created.redirect_url


# ------------------------------------------------------------------ paid: by notification or by query


async def settle(order: Order, trade_no: str, paid_at: datetime, now: datetime) -> tuple[str, str]:
    """Apply a payment the gateway vouches for. Returns (outcome, detail): paid / duplicate / late_paid."""
    if order.status == OrderStatus.OPEN and paid_at <= order.expires_at:
        async with in_transaction():
            moved = await Order.filter(id=order.id, status=OrderStatus.OPEN).update(
                status=OrderStatus.PAID, open_key=None, paid_at=paid_at, trade_no=trade_no)
            app_moved = moved and await Application.filter(id=order.application_id, status=Status.APPROVED).update(
                status=Status.PAID, paid_at=paid_at)
            if app_moved:
                await ReviewLog.record(order.application_id, "paid", Status.APPROVED, Status.PAID, now,
                                           actor="系统")
                return "paid", ""
        if moved:  # money for this order, but the application had left 审核通过 (重新报名): 对账 must see it
            return "late_paid", "报名已不是审核通过状态"
    order = await Order.get(id=order.id)
    if order.status == OrderStatus.PAID:
        if order.trade_no == trade_no:
            return "duplicate", ""
        return "late_paid", f"订单已由交易{order.trade_no}支付，本笔为重复支付"
    if order.status == OrderStatus.OPEN:  # paid after the order's expiry: close it, the money goes to 对账
        await Order.filter(id=order.id, status=OrderStatus.OPEN).update(status=OrderStatus.CLOSED, open_key=None,
                                                                      closed_at=now)
    return "late_paid", "订单已关闭后支付"


def _parse_paid_at(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


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
    order = await Order.get_or_none(number=fields["out_trade_no"])
    if order is None:
        return await _reject(fields, body, now, "订单不存在")
    if fields["amount_fen"] != str(order.amount_fen):
        return await _reject(fields, body, now, f"金额不符：订单{order.amount_fen}分", order)
    paid_at = _parse_paid_at(fields["paid_at"])
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
    """查询支付结果: ask the gateway; a paid trade for this order and amount is applied like a notification."""
    if order.status != OrderStatus.OPEN:  # settled already: asking again must not record it again
        return order.status
    state: TradeState = await provider.query(order.number)
    if state.status == "paid" and state.amount_fen == order.amount_fen and state.merchant_id == provider.merchant_id:
        outcome, detail = await settle(order, state.trade_no, state.paid_at, now)
        await PaymentNotification.create(order=order, order_number=order.number, trade_no=state.trade_no,
                                         amount_fen=state.amount_fen, outcome=outcome, detail=detail or "查询支付结果",
                                         body=f"query:{state}", received_at=now)
    return (await Order.get(id=order.id)).status


# ------------------------------------------------------------------ the close job


async def close_expired(now: datetime, provider: PaymentProvider) -> int:
    """Close every open order past its expiry: one conditional UPDATE, so several processes may run it at once;
    only the orders this run closed have their gateway payments closed. Returns how many."""
    due = await Order.filter(status=OrderStatus.OPEN, expires_at__lte=now).values_list("id", "number")
    if not due:
        return 0
    count = await Order.filter(id__in=[i for i, _ in due], status=OrderStatus.OPEN, expires_at__lte=now).update(
        status=OrderStatus.CLOSED, open_key=None, closed_at=now)
    for number in await Order.filter(id__in=[i for i, _ in due], closed_at=now).values_list("number", flat=True):
        try:
            await provider.close(number)
        except Exception:  # the gateway is down: its trade stays pending, a late payment goes to 对账
            log.exception("closing payment %s at the gateway failed", number)
    return count


async def close_expired_forever(provider: PaymentProvider) -> None:
    while True:
        try:
            closed = await close_expired(clock.now(), provider)
            if closed:
                log.info("closed %d expired orders", closed)
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("closing expired orders failed")
        await asyncio.sleep(CLOSE_EVERY)
