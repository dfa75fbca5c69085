"""网上缴费: the orders of an approved application (生成订单, 支付, closing one) and the rule for which order, in
which state, every page, the 报名表 and 对账 show.

An application has at most one open order, enforced by the database (Order.open_key is unique: the
application id while open, NULL once paid or closed). Paying is services.payment.notifications.settle; the
close job is services.payment.closing.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.applications import Application, Status
from models.exams import ExamProvince
from models.payments import Order, OrderStatus
from services import clock
from services.providers.payment import PaymentError, PaymentProvider
from services.registration import fees
from services.registration.wizard import window_state

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone

NO_ORDER = "none"
STATUS_LABELS = {NO_ORDER: "未生成订单", **OrderStatus.LABELS}


class OrderError(Exception):
    """Refused, with the message for the page."""


def order_number(now: datetime, province_code: str) -> str:
    """订单号码: China date, province code and a random part, e.g. 20271130-11-7F3K9Q2M."""
    random_part = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{clock.local(now, '%Y%m%d')}-{province_code}-{random_part}"


NUMBER_SHAPE = re.compile(rf"[0-9]{{8}}-[0-9]{{2}}-[{NUMBER_ALPHABET}]{{8}}")


def is_number(value) -> bool:
    """Whether `value` has the shape order_number gives (the only ones any row has)."""
    return isinstance(value, str) and NUMBER_SHAPE.fullmatch(value) is not None


def expires_at(created: datetime, timeout_seconds: int, pay_end: datetime) -> datetime:
    return min(created + timedelta(seconds=timeout_seconds), pay_end)


# ------------------------------------------------------------------ the state shown


def effective_status(order: Order | None, now: datetime) -> str:
    """An open order past its expiry is closed for the candidate even before the close job runs."""
    if order is None:
        return NO_ORDER
    if order.status == OrderStatus.OPEN and order.expires_at <= now:
        return OrderStatus.CLOSED
    return order.status


def expired(now: datetime) -> Q:
    """The open orders past their expiry (closed as effective_status says, whether or not the job ran yet)."""
    return Q(status=OrderStatus.OPEN, expires_at__lte=now)


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


async def own_order(account_id: int, number: str) -> Order | None:
    """The order `number` (with its application) when it is this candidate's, else None."""
    return await Order.get_or_none(number=number, application__account_id=account_id).select_related("application")


def window_error(ep: ExamProvince, now: datetime) -> str | None:
    """The message when `now` is outside the province's 缴费时间, else None."""
    state = window_state(ep.pay_start, ep.pay_end, now)
    if state == "open":
        return None
    return f"缴费{'尚未开始' if state == 'future' else '已结束'}，缴费时间为{clock.local(ep.pay_start)}至{clock.local(ep.pay_end)}"


# ------------------------------------------------------------------ changing an order


def closed_values(now: datetime) -> dict:
    """What closing an order writes: the open_key is freed, so a new order can be made."""
    return {"status": OrderStatus.CLOSED, "open_key": None, "closed_at": now}


async def close(order_id: int, now: datetime, *, only_expired: bool = False) -> bool:
    """Open → closed, once (only if it has expired, with `only_expired`). True when this call closed it."""
    open_ = expired(now) if only_expired else Q(status=OrderStatus.OPEN)
    return bool(await Order.filter(open_, id=order_id).update(**closed_values(now)))


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
        if existing and await close(existing.id, now, only_expired=True):
            await provider.close(existing.number)  # and the gateway's pending payments for it
        try:
            order = await Order.create(
                number=order_number(now, ep.province_code), application_id=app.id, open_key=app.id,
                amount_fen=fees.fee_fen(ep, app.subjects), created_at=now,
                expires_at=expires_at(now, timeout_seconds, ep.pay_end))
        except IntegrityError:  # another request won (or, once in 10^12, the random part collided): look again
            continue
        # 重新报名 in another tab between the status read above and this insert: withdrawal closes the open
        # orders it finds, so either it saw this one or the application is no longer approved here (and then
        # this order is closed here, unless the withdrawal closed it already: either way it is closed).
        if not await Application.exists(id=app.id, status=Status.APPROVED):
            await close(order.id, now)
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
    if not await Order.filter(id=order.id, status=OrderStatus.OPEN).update(platform=platform):
        # Paid (another tab) or closed (the job) since it was read: the payment just started must not be paid.
        await provider.close(order.number)
        paid = (await shown_order(app.id, now)).state == OrderStatus.PAID
        raise OrderError("订单已支付，请勿重复支付" if paid else "订单已关闭，请重新生成订单")
    return created.redirect_url
