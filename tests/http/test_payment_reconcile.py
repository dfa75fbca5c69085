"""对账: reviewers see the orders of their province (or city) by state, the paid total, and what did not match."""
import pytest

from models.applications import Application
from models.payments import Order
from tests.factories import approved, make_order
from tests.factories import notify, signed
from tests.factories import reviewer_client

from services.clock import now


@pytest.fixture
async def paid_and_late(client, demo, settings):
    """One paid order, one late payment of a closed order, one forged notification (all in 北京)."""
    app_id = await approved(client)
    await make_order(client, app_id)
    first = await Order.get(application_id=app_id)
    await Order.filter(id=first.id).update(status="closed", open_key=None, closed_at=now())
    assert (await notify(client, signed(settings, first, trade_no="T-late"))).text == "success"
    await make_order(client, app_id)
    second = await Order.get(application_id=app_id, status="open")
    assert (await notify(client, signed(settings, second))).text == "success"
    forged = signed(settings, second, amount_fen="1")
    assert (await notify(client, forged)).text == "fail"
    unknown = signed(settings, second, out_trade_no="20270101-11-UNKNOWN2")
    assert (await notify(client, unknown)).text == "fail"
    return first, second


async def test_reviewer_sees_counts_total_and_unmatched_notifications_of_the_province(app, paid_and_late):
    first, second = paid_and_late
    async with await reviewer_client(app, "11") as beijing:
        page = await beijing.get("/review/reconcile")
    assert page.status_code == 200 and "缴费对账" in page.text
    assert '<td data-status="paid">1</td>' in page.text and '<td data-status="closed">1</td>' in page.text
    assert '<td data-status="open">0</td>' in page.text
    assert 'id="paid-total">¥112.00' in page.text
    assert "T-late" in page.text and "关闭后支付" in page.text and "已拒绝" in page.text and "金额不符" in page.text
    assert "20270101-11-UNKNOWN2" in page.text and "订单不存在" in page.text
    assert first.number in page.text and second.number in page.text


async def test_reviewers_of_another_province_or_city_see_none_of_it(app, paid_and_late):
    async with await reviewer_client(app, "31") as shanghai, await reviewer_client(app, "11", "110108") as haidian:
        for other in (shanghai, haidian):
            page = await other.get("/review/reconcile")
            assert page.status_code == 200
            assert '<td data-status="paid">0</td>' in page.text and "¥0.00" in page.text
            assert "T-late" not in page.text and "UNKNOWN2" not in page.text and "没有未匹配的支付通知" in page.text
    async with await reviewer_client(app, "11", "110105") as chaoyang:  # the candidate's city
        page = await chaoyang.get("/review/reconcile")
    assert '<td data-status="paid">1</td>' in page.text and "T-late" in page.text and "UNKNOWN2" not in page.text
    assert "审核范围：北京 · 朝阳区" in page.text


async def test_reconcile_is_404_for_candidates_and_visitors(client, other_client, paid_and_late):
    assert (await client.get("/review/reconcile")).status_code == 404
    assert (await other_client.get("/review/reconcile")).status_code == 404
    assert await Application.filter(status="paid").count() == 1
