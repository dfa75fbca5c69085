"""The gateway's notification at POST /pay/notify: signed, for the right order, amount and merchant, applied once;
everything else refused, changing nothing (recorded for 对账 when the gateway signed it, logged otherwise)."""
import asyncio
import logging
from datetime import timedelta

import pytest

from models.applications import Application
from models.payments import Order, PaymentNotification
from models.reviews import ReviewLog
from services.providers.payment import signature
from tests.factories import approved, make_order, notify, signed

from services.clock import now


@pytest.fixture
async def order(client, demo) -> Order:
    app_id = await approved(client)
    await make_order(client, app_id)
    return await Order.get(application_id=app_id)


async def assert_unchanged(order: Order):
    assert (await Order.get(id=order.id)).status == "open"
    assert (await Application.get(id=order.application_id)).status == "approved"
    assert not await ReviewLog.filter(action="paid").exists()


async def test_a_signed_notification_marks_the_order_paid_and_a_replay_changes_nothing(client, order, settings):
    fields = signed(settings, order)
    r = await notify(client, fields)
    assert r.text == "success"
    paid = await Order.get(id=order.id)
    assert paid.status == "paid" and paid.trade_no == fields["trade_no"] and paid.open_key is None
    paid_at = paid.paid_at
    r = await notify(client, fields)  # the gateway repeats itself, or someone replays it
    assert r.text == "success"
    again = await Order.get(id=order.id)
    assert again.paid_at == paid_at and (await Application.get(id=order.application_id)).status == "paid"
    assert [n.outcome for n in await PaymentNotification.all().order_by("id")] == ["paid", "duplicate"]
    assert await ReviewLog.filter(action="paid").count() == 1


@pytest.mark.parametrize("case,detail", [
    ("forged", "签名无效"), ("unsigned", "签名无效"), ("amount", "金额不符"), ("merchant", "商户号不符"),
    ("unknown", "订单不存在"), ("tampered", "签名无效"), ("trade_no", "交易号"), ("status", "状态"),
])
async def test_a_bad_notification_is_refused_recorded_and_changes_nothing(client, order, settings, case, detail,
                                                                         caplog):
    fields = signed(settings, order)
    if case == "forged":
        fields["sign"] = signature("not-the-key", {k: v for k, v in fields.items() if k != "sign"})
    elif case == "unsigned":
        del fields["sign"]
    elif case == "amount":  # a payment of 0.01 presented as ours: signed, but not our order's amount
        fields = signed(settings, order, amount_fen="1")
    elif case == "merchant":
        fields = signed(settings, order, merchant_id="OTHER-SHOP")
    elif case == "unknown":
        fields = signed(settings, order, out_trade_no="20270101-11-ZZZZZZZZ")
    elif case == "tampered":  # the amount changed after signing
        fields["amount_fen"] = "1"
    elif case == "trade_no":  # longer than any gateway's, would not fit the order row
        fields = signed(settings, order, trade_no="T" * 65)
    elif case == "status":
        fields = signed(settings, order, status="closed")
    caplog.set_level(logging.WARNING, logger="kjks")
    r = await notify(client, fields)
    assert r.status_code == 200 and r.text == "fail"
    await assert_unchanged(order)
    if detail == "签名无效":  # not the gateway's: logged, kept out of the reviewers' 对账
        assert not await PaymentNotification.exists() and "bad or missing signature" in caplog.text
        return
    note = await PaymentNotification.get()
    assert note.outcome == "rejected" and detail in note.detail and note.body


async def test_a_notification_with_another_orders_number_and_amount_is_refused(client, order, settings):
    """A genuine payment of another application's order cannot pay this one: number and amount must match."""
    other_app = await Application.create(account_id=(await Application.get(id=order.application_id)).account_id,
                                         exam_id=(await Application.get(id=order.application_id)).exam_id,
                                         status="approved")
    other = await Order.create(number="20270101-11-ABCDEFGH", application=other_app, open_key=other_app.id,
                               amount_fen=5600, created_at=now(), expires_at=now() + timedelta(hours=1))
    fields = signed(settings, order, amount_fen=str(other.amount_fen), trade_no="T" + other.number)
    assert (await notify(client, fields)).text == "fail"
    await assert_unchanged(order)
    assert (await Order.get(id=other.id)).status == "open"


async def test_repeated_fields_are_refused(client, order, settings):
    fields = signed(settings, order)
    body = "&".join(f"{k}={v}" for k, v in fields.items()) + "&amount_fen=1"
    r = await client.post("/pay/notify", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.text == "fail"
    await assert_unchanged(order)


async def test_an_oversized_notification_is_refused_unread(client, order, settings):
    fields = {**signed(settings, order), "padding": "x" * 10000}
    r = await notify(client, fields)
    assert r.status_code == 413 and r.text == "fail"
    await assert_unchanged(order)
    assert not await PaymentNotification.exists()


async def test_a_payment_for_a_closed_order_is_kept_for_reconciliation_not_marked_paid(client, order, settings):
    await Order.filter(id=order.id).update(status="closed", open_key=None, closed_at=now())
    r = await notify(client, signed(settings, order))
    assert r.text == "success"  # acknowledged, so the gateway stops; the money is for the reviewers to settle
    assert (await Order.get(id=order.id)).status == "closed"
    assert (await Application.get(id=order.application_id)).status == "approved"
    note = await PaymentNotification.get()
    assert note.outcome == "late_paid" and note.order_id == order.id and "关闭" in note.detail
    assert (await notify(client, signed(settings, order))).text == "success"  # the gateway repeats it
    outcomes = [n.outcome for n in await PaymentNotification.all().order_by("id")]
    assert outcomes == ["late_paid", "duplicate"]  # 对账 lists the late payment once
    assert (await Order.get(id=order.id)).status == "closed"


async def test_twenty_simultaneous_notifications_of_a_late_payment_list_it_once(client, order, settings):
    await Order.filter(id=order.id).update(status="closed", open_key=None, closed_at=now())
    fields = signed(settings, order)
    answers = await asyncio.gather(*(notify(client, fields) for _ in range(20)))
    assert {a.text for a in answers} == {"success"}
    outcomes = await PaymentNotification.all().values_list("outcome", flat=True)
    assert outcomes.count("late_paid") == 1 and outcomes.count("duplicate") == 19


async def test_a_payment_made_after_the_order_expired_closes_it_and_goes_to_reconciliation(client, order, settings):
    await Order.filter(id=order.id).update(expires_at=now() - timedelta(minutes=1))
    r = await notify(client, signed(settings, order))
    assert r.text == "success"
    closed = await Order.get(id=order.id)
    assert closed.status == "closed" and closed.open_key is None
    assert (await PaymentNotification.get()).outcome == "late_paid"
    assert (await Application.get(id=order.application_id)).status == "approved"


async def test_a_second_payment_of_a_paid_order_is_flagged_for_reconciliation(client, order, settings):
    assert (await notify(client, signed(settings, order, trade_no="T-first"))).text == "success"
    assert (await notify(client, signed(settings, order, trade_no="T-second"))).text == "success"
    assert (await Order.get(id=order.id)).trade_no == "T-first"
    outcomes = [n.outcome for n in await PaymentNotification.all().order_by("id")]
    assert outcomes == ["paid", "late_paid"]


async def test_twenty_simultaneous_duplicate_notifications_make_one_payment(client, order, settings):
    fields = signed(settings, order)
    answers = await asyncio.gather(*(notify(client, fields) for _ in range(20)))
    assert {r.text for r in answers} == {"success"}
    assert await Order.filter(status="paid").count() == 1
    assert await ReviewLog.filter(action="paid").count() == 1
    outcomes = [n.outcome for n in await PaymentNotification.all()]
    assert outcomes.count("paid") == 1 and outcomes.count("duplicate") == 19
    assert (await Application.get(id=order.application_id)).status == "paid"


@pytest.mark.parametrize("paid_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                     "2019-12-31T23:59:59+00:00", "2027-01-01T09:00:00"])
async def test_a_signed_payment_time_no_payment_can_have_is_refused(client, order, settings, paid_at):
    """Issue 11 (hostile probe): a signed paid_at of year 1 was applied on SQLite, and every page showing it answered
    500 from then on (the date out of range); PostgreSQL refused to store it with a 500."""
    r = await notify(client, signed(settings, order, paid_at=paid_at))
    assert r.status_code == 200 and r.text == "fail"
    await assert_unchanged(order)
    assert (await PaymentNotification.get(order_id=order.id)).detail == "状态、交易号或支付时间无效"
    assert (await client.get(f"/apply/{order.application_id}/pay")).status_code == 200


async def test_a_signed_order_number_of_no_shape_a_number_has_is_refused_not_looked_up(client, order, settings):
    r = await notify(client, signed(settings, order, out_trade_no="x" * 256))
    assert r.status_code == 200 and r.text == "fail"
    await assert_unchanged(order)
    assert (await PaymentNotification.get(detail="订单不存在")).order_number == "x" * 64
