"""Recording the events a candidate is told about: one Notification row per (application, event, ref).

Every insert is INSERT ... ON CONFLICT DO NOTHING on the unique key (SQLite: INSERT OR IGNORE), so the same event
recorded by two processes at once, or by two runs of the job, gives one row, one 消息 and one SMS; and inside a
decision's transaction a conflict aborts nothing.

- Outcomes of a review (审核通过, 审核不通过) are recorded by `review_outcome` in the transaction of the decision
  itself (services.review.decisions, and the 告知承诺 approval of services.registration.submission); ref is the
  decision's review log row, so a second rejection after 重新提交 is told too.
- The rest are found by `detect(now)`, run by the notification job (services.notifications.jobs): 缴费即将截止
  (24 hours before the province's 缴费时间 ends, approved and unpaid), 订单已关闭 (an order that ran out of time
  while the application still waits for payment, ref the order), 准考证可打印 (the province's window is open,
  for seated candidates), 成绩已发布 (the province's publication time has come, for candidates with a score).
  The optional reminders are not recorded for a candidate who switched them off.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.expressions import F, Q, Subquery

from models.applications import Application, Status
from models.arrangement import Admission
from models.exams import ExamProvince
from models.notifications import Event, Notification, NotificationSetting, SmsStatus
from models.payments import Order, OrderStatus
from models.scores import Score, ScoreRelease
from services.notifications import texts
from services.reference import regions

PAYMENT_DUE_BEFORE = timedelta(hours=24)
CLOSED_ORDERS_LOOKBACK = timedelta(days=2)  # how far back the job looks for closed orders (it runs every minute)


def _province_name(ep: ExamProvince) -> str:
    return regions.PROVINCES.get(ep.province_code, ep.province_code)


def _context(ep: ExamProvince) -> dict:
    exam = ep.exam
    return {"exam": texts.exam_label(exam.year, exam.level), "province": _province_name(ep),
            "pay_end": texts.when(ep.pay_end), "ticket_start": texts.when(ep.ticket_start),
            "ticket_end": texts.when(ep.ticket_end)}


def _row(app_id: int, account_id: int, event: str, ref: int, text: texts.Text, now: datetime) -> Notification:
    return Notification(application_id=app_id, account_id=account_id, event=event, ref=ref, title=text.title,
                        body=text.body, sms_text=text.sms, created_at=now, sms_status=SmsStatus.PENDING,
                        sms_next_at=now)


async def _insert(rows: list[Notification]) -> None:
    if rows:
        await Notification.bulk_create(rows, batch_size=500, ignore_conflicts=True)


async def review_outcome(app_id: int, approved: bool, reason: str | None, log_id: int, now: datetime) -> None:
    """审核通过 / 审核不通过 of `app_id`, decided by review log row `log_id`: call it inside the decision's
    transaction, after its conditional update moved the application."""
    app = await Application.get(id=app_id).select_related("province__exam")
    context = _context(app.province)
    if approved:
        text = texts.render(Event.APPROVED, **context)
    else:
        text = texts.render(Event.REJECTED, reason=reason or "", **context)
    await _insert([_row(app_id, app.account_id, Event.APPROVED if approved else Event.REJECTED, log_id, text, now)])


def _not_told(event: str, ref: int = 0) -> Q:
    """Applications not yet told of `event` (with this ref)."""
    return ~Q(id__in=Subquery(Notification.filter(event=event, ref=ref).values("application_id")))


def _reminders_on() -> Q:
    return ~Q(account_id__in=Subquery(NotificationSetting.filter(reminders_off=True).values("account_id")))


async def _record_for(ep: ExamProvince, event: str, apps: list[tuple[int, int]], now: datetime, **extra) -> int:
    text = texts.render(event, **_context(ep), **extra)
    await _insert([_row(app_id, account_id, event, 0, text, now) for app_id, account_id in apps])
    return len(apps)


async def payment_due(now: datetime) -> int:
    """缴费即将截止: every approved, unpaid application of a province whose 缴费时间 ends within 24 hours."""
    found = 0
    for ep in await ExamProvince.filter(pay_end__gt=now, pay_end__lte=now + PAYMENT_DUE_BEFORE,
                                        pay_start__lte=now).select_related("exam"):
        apps = await Application.filter(_not_told(Event.PAYMENT_DUE), _reminders_on(), province_id=ep.id,
                                        status=Status.APPROVED).values_list("id", "account_id")
        found += await _record_for(ep, Event.PAYMENT_DUE, apps, now)
    return found


async def ticket_open(now: datetime) -> int:
    """准考证可打印: every seated, paid application of a province whose 准考证打印 window is open."""
    found = 0
    for ep in await ExamProvince.filter(ticket_start__lte=now, ticket_end__gt=now).select_related("exam"):
        seated = Subquery(Admission.filter(exam_province_id=ep.id).values("application_id"))
        apps = await Application.filter(_not_told(Event.TICKET_OPEN), _reminders_on(), Q(id__in=seated),
                                        province_id=ep.id, status=Status.PAID).values_list("id", "account_id")
        found += await _record_for(ep, Event.TICKET_OPEN, apps, now)
    return found


async def order_closed(now: datetime) -> int:
    """订单已关闭: an order closed after its time ran out (not by 重新报名) while its application is still
    approved, has no other open or paid order, and 缴费 is still open (else there is nothing to do about it)."""
    told = Subquery(Notification.filter(event=Event.ORDER_CLOSED).values("ref"))
    renewed = Subquery(Order.filter(status__in=(OrderStatus.OPEN, OrderStatus.PAID)).values("application_id"))
    orders = await Order.filter(
        ~Q(id__in=told), ~Q(application_id__in=renewed),  # not told yet, and no new order made (or paid) since
        status=OrderStatus.CLOSED, closed_at__gte=now - CLOSED_ORDERS_LOOKBACK,
        application__status=Status.APPROVED,
        application__province__pay_end__gt=now).filter(closed_at__gte=F("expires_at")).values_list(  # by time,
        "id", "number", "application_id")  # not by the candidate's own 重新报名
    found = 0
    for order_id, number, app_id in orders:
        app = await Application.get(id=app_id).select_related("province__exam")
        text = texts.render(Event.ORDER_CLOSED, order=number, **_context(app.province))
        await _insert([_row(app_id, app.account_id, Event.ORDER_CLOSED, order_id, text, now)])
        found += 1
    return found


async def scores_published(now: datetime) -> int:
    """成绩已发布: every application with a score in a province whose publication time (models.scores.ScoreRelease,
    set by the office) has come. A score imported after publication is told when it is stored."""
    found = 0
    for release in await ScoreRelease.filter(published_at__lte=now).select_related("exam_province__exam"):
        ep = release.exam_province
        scored = Subquery(Score.filter(exam_province_id=ep.id).values("application_id"))
        apps = await Application.filter(_not_told(Event.SCORES_PUBLISHED), Q(id__in=scored)).values_list(
            "id", "account_id")
        found += await _record_for(ep, Event.SCORES_PUBLISHED, apps, now)
    return found


async def detect(now: datetime) -> dict[str, int]:
    """The time-based events due now, recorded (what another run recorded already is skipped)."""
    return {Event.PAYMENT_DUE: await payment_due(now), Event.ORDER_CLOSED: await order_closed(now),
            Event.TICKET_OPEN: await ticket_open(now), Event.SCORES_PUBLISHED: await scores_published(now)}
