"""网上缴费: 生成订单 (one open order, server-computed amount, 缴费时间), 支付 through the gateway sandbox, the
return page, and the close job."""
import asyncio
import re
from datetime import timedelta

import httpx
import pytest

from models.applications import Application
from models.exams import ExamProvince
from models.payments import Order, PaymentNotification
from models.reviews import ReviewLog
from models.sandbox import SandboxPayment
from services.clock import now
from services.payment import closing, orders
from services.providers import make_providers
from tests.factories import (
    approved,
    candidate,
    confirm_on_sandbox,
    csrf_of,
    mainland_id,
    make_order,
    paid,
    pay,
    post,
    shift_pay_window,
    submitted,
)

NUMBER_RE = re.compile(r"^\d{8}-11-[2-9A-HJ-NP-Z]{8}$")


# ------------------------------------------------------------------ the page and 生成订单


async def test_pay_page_and_order_before_approval_lead_to_the_review_notice(client, demo):
    app_id, _ = await submitted(client)
    r = await client.get(f"/apply/{app_id}/pay")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/result"
    r = await make_order(client, app_id)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/result"
    assert await Order.all().count() == 0


async def test_pay_page_shows_the_candidate_the_platforms_and_no_order_yet(client, demo):
    app_id = await approved(client)
    page = await client.get(f"/apply/{app_id}/pay")
    assert page.status_code == 200
    for text in ("网上缴费", "考生报名基本信息", "张三丰", "110****", "2027年度全国会计专业技术初级资格考试", "初级", "北京",
                 "朝阳区", "初级会计实务、经济法基础", "订单基本信息", "订单号码", "支付平台", "缴费状态", "未生成订单",
                 "生成订单", 'value="银联在线"', 'value="支付宝"', 'value="微信支付"'):
        assert text in page.text, text
    assert mainland_id() not in page.text  # the ID number is masked
    assert 'id="pay-button"' not in page.text  # nothing to pay before an order exists


async def test_generate_order_fills_number_amount_and_time_in_place(client, demo, settings):
    app_id = await approved(client)
    r = await make_order(client, app_id, htmx=True)
    assert r.status_code == 200 and "<html" not in r.text and 'id="pay-order"' in r.text
    order = await Order.get(application_id=app_id)
    assert NUMBER_RE.match(order.number) and order.amount_fen == 11200  # 2 subjects × ¥56, in fen
    assert order.status == "open" and order.open_key == app_id
    assert order.expires_at == order.created_at + timedelta(seconds=settings.order_timeout_seconds)
    assert order.number in r.text and "¥112.00" in r.text and "待支付" in r.text and 'id="pay-button"' in r.text
    # Without JavaScript: a 303 back to the page, which shows the same order; a second click gives the same order.
    r = await make_order(client, app_id)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/pay"
    assert await Order.all().count() == 1
    assert order.number in (await client.get(f"/apply/{app_id}/pay")).text


async def test_generate_order_outside_the_pay_window_is_refused(client, demo, app):
    app_id = await approved(client)
    await shift_pay_window(app, 2, 10)
    r = await make_order(client, app_id, htmx=True)
    assert r.status_code == 422 and "缴费尚未开始" in r.text
    await shift_pay_window(app, -10, -2)
    r = await make_order(client, app_id)
    assert r.status_code == 422 and "缴费已结束" in r.text and "<html" in r.text
    assert await Order.all().count() == 0


async def test_order_expiry_is_capped_at_the_end_of_the_pay_window(client, demo, app):
    app_id = await approved(client)
    await shift_pay_window(app, -1, 0)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    ep_end = ep.pay_end + timedelta(minutes=5)
    await ExamProvince.filter(id=ep.id).update(pay_end=ep_end)
    app.state.reference.clear()  # exam rows changed behind the cache's back, as a re-seed would
    await make_order(client, app_id)
    assert (await Order.get(application_id=app_id)).expires_at == ep_end


async def test_twenty_simultaneous_generate_orders_leave_one_order(client, demo):
    app_id = await approved(client)
    token = await csrf_of(client, "/exams")
    answers = await asyncio.gather(*(client.post(f"/apply/{app_id}/pay/order", data={"csrf_token": token})
                                     for _ in range(20)))
    assert {r.status_code for r in answers} == {303}
    assert await Order.all().count() == 1


# ------------------------------------------------------------------ 支付 through the sandbox


async def test_pay_confirm_on_the_sandbox_marks_the_order_and_the_application_paid(client, demo, gateway):
    app_id = await approved(client)
    await make_order(client, app_id)
    sandbox = await pay(client, app_id, "微信支付")
    page = await client.get(sandbox)
    assert "微信支付" in page.text and "¥112.00" in page.text
    r = await post(client, sandbox + "/confirm")
    order = await Order.get(application_id=app_id)
    assert r.status_code == 303 and httpx.URL(r.headers["location"]).path == f"/pay/return/{order.number}"
    assert order.status == "paid" and order.open_key is None and order.trade_no.startswith("SBX")
    assert order.platform == "微信支付" and order.paid_at is not None
    app = await Application.get(id=app_id)
    assert app.status == "paid" and app.paid_at == order.paid_at
    log = await ReviewLog.get(application_id=app_id, action="paid")
    assert (log.from_status, log.to_status, log.actor) == ("approved", "paid", "系统")
    assert [n.outcome for n in await PaymentNotification.all()] == ["paid"]
    back = await client.get(f"/pay/return/{order.number}")
    assert "已支付" in back.text and "报名成功" in back.text and "查询支付结果" not in back.text
    page = await client.get(f"/apply/{app_id}/pay")
    assert "报名成功" in page.text and "准考证打印" in page.text and "考前10日至考前1日" in page.text
    assert "生成订单</button>" not in page.text and 'id="pay-button"' not in page.text and 'id="restart"' not in page.text


async def test_paying_an_order_twice_is_refused(client, demo, gateway):
    app_id, order = await paid(client)
    r = await post(client, f"/apply/{app_id}/pay/start", {"platform": "支付宝"})
    assert r.status_code == 422 and "订单已支付" in r.text
    r = await make_order(client, app_id)
    assert r.status_code == 422 and "无需再生成订单" in r.text
    trade = await SandboxPayment.get(trade_no=order.trade_no)
    r = await post(client, f"/dev/pay/{trade.trade_no}/confirm")  # the sandbox's button again
    assert r.status_code == 303
    assert await Order.all().count() == 1 and await PaymentNotification.all().count() == 1
    assert await SandboxPayment.filter(status="paid").count() == 1
    assert await ReviewLog.filter(action="paid").count() == 1


async def test_pay_twice_before_paying_gives_the_same_trade_and_another_platform_closes_it(client, demo):
    app_id = await approved(client)
    await make_order(client, app_id)
    first = await pay(client, app_id, "支付宝")
    assert await pay(client, app_id, "支付宝") == first
    other = await pay(client, app_id, "银联在线")
    assert other != first
    assert (await SandboxPayment.get(trade_no=first.rsplit("/", 1)[1])).status == "closed"
    r = await post(client, f"/apply/{app_id}/pay/start", {"platform": "比特币"})
    assert r.status_code == 422 and "请选择支付平台" in r.text


async def test_a_payment_started_as_its_order_closes_is_refused_and_closed_at_the_gateway(client, demo, app):
    app_id = await approved(client)
    await make_order(client, app_id)
    order = await Order.get(application_id=app_id)
    real = app.state.providers.payments

    class ClosedMeanwhile:
        """The gateway answers, and meanwhile the close job (or 重新报名) closes the order."""
        merchant_id = real.merchant_id

        async def create(self, **kw):
            created = await real.create(**kw)
            assert await orders.close(order.id, now())
            return created

        async def close(self, number):
            await real.close(number)

    application = await Application.get(id=app_id).select_related("exam")
    ep = await ExamProvince.get(id=application.province_id)
    with pytest.raises(orders.OrderError, match="订单已关闭，请重新生成订单"):
        await orders.start_payment(application, ep, ClosedMeanwhile(), "支付宝", now())
    assert (await SandboxPayment.get(out_trade_no=order.number)).status == "closed"  # cannot be paid now
    assert (await Order.get(id=order.id)).platform is None


async def test_cancel_on_the_sandbox_leaves_the_order_payable(client, demo, gateway):
    app_id = await approved(client)
    await make_order(client, app_id)
    sandbox = await pay(client, app_id)
    r = await post(client, sandbox + "/cancel")
    order = await Order.get(application_id=app_id)
    assert httpx.URL(r.headers["location"]).path == f"/pay/return/{order.number}"
    back = await client.get(f"/pay/return/{order.number}")
    assert "待支付" in back.text and "查询支付结果" in back.text
    assert order.status == "open" and (await Application.get(id=app_id)).status == "approved"
    again = await pay(client, app_id)
    assert again != sandbox
    assert (await confirm_on_sandbox(client, again)).status_code == 303
    assert (await Order.get(id=order.id)).status == "paid"


async def test_another_candidates_order_is_404(client, other_client, demo, gateway):
    app_id = await approved(client)
    await make_order(client, app_id)
    order = await Order.get(application_id=app_id)
    await candidate(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    assert (await other_client.get(f"/apply/{app_id}/pay")).status_code == 404
    assert (await post(other_client, f"/apply/{app_id}/pay/order")).status_code == 404
    assert (await post(other_client, f"/apply/{app_id}/pay/start", {"platform": "支付宝"})).status_code == 404
    assert (await other_client.get(f"/pay/return/{order.number}")).status_code == 404
    assert (await post(other_client, f"/pay/return/{order.number}")).status_code == 404
    assert await SandboxPayment.all().count() == 0 and await Order.all().count() == 1


async def test_return_page_ignores_a_forged_status_in_its_query_string(client, demo):
    app_id = await approved(client)
    await make_order(client, app_id)
    await pay(client, app_id)
    order = await Order.get(application_id=app_id)
    page = await client.get(f"/pay/return/{order.number}?status=paid&trade_status=TRADE_SUCCESS")
    assert "待支付" in page.text and "已支付" not in page.text and "报名成功" not in page.text
    assert (await Order.get(id=order.id)).status == "open"
    assert (await Application.get(id=app_id)).status == "approved"


async def test_query_payment_result_applies_a_payment_whose_notification_was_lost(client, demo, app):
    # The sandbox's notification cannot reach the platform (no transport to the app under test).
    app.state.providers = make_providers(app.state.settings, payment_transport=_Unreachable(),
                                         payment_retry_delays=(0,))
    app_id = await approved(client)
    await make_order(client, app_id)
    r = await confirm_on_sandbox(client, await pay(client, app_id))
    order = await Order.get(application_id=app_id)
    assert httpx.URL(r.headers["location"]).path == f"/pay/return/{order.number}"
    assert (await SandboxPayment.get(out_trade_no=order.number)).notify_attempts == 2  # retried once
    back = await client.get(f"/pay/return/{order.number}")
    assert "待支付" in back.text and "查询支付结果" in back.text and order.status == "open"
    r = await post(client, f"/pay/return/{order.number}")
    assert r.status_code == 303
    back = await client.get(f"/pay/return/{order.number}")
    assert "已支付" in back.text and "报名成功" in back.text
    assert (await Application.get(id=app_id)).status == "paid"
    assert (await PaymentNotification.get()).outcome == "paid"


class _Unreachable(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request):
        raise httpx.ConnectError("unreachable", request=request)


async def test_sandbox_retries_until_the_platform_answers_success(client, demo, app):
    asgi = httpx.ASGITransport(app=app)
    calls = []

    class FlakyOnce(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            calls.append(request.url.path)
            if len(calls) == 1:
                return httpx.Response(502, text="bad gateway")
            return await asgi.handle_async_request(request)

    app.state.providers = make_providers(app.state.settings, payment_transport=FlakyOnce(),
                                         payment_retry_delays=(0, 0, 0))
    app_id = await approved(client)
    await make_order(client, app_id)
    await confirm_on_sandbox(client, await pay(client, app_id))
    assert calls == ["/pay/notify", "/pay/notify"]
    trade = await SandboxPayment.get(status="paid")
    assert trade.notify_attempts == 2 and trade.notified_at is not None
    assert (await Application.get(id=app_id)).status == "paid"


# ------------------------------------------------------------------ closing unpaid orders


async def test_an_expired_order_shows_closed_is_closed_by_the_job_and_a_new_one_can_be_made(client, demo, app):
    app_id = await approved(client)
    await make_order(client, app_id)
    await pay(client, app_id)
    old = await Order.get(application_id=app_id)
    await Order.filter(id=old.id).update(expires_at=now() - timedelta(seconds=1))
    page = await client.get(f"/apply/{app_id}/pay")
    assert "已关闭" in page.text and "生成订单</button>" in page.text and 'id="pay-button"' not in page.text
    assert (await post(client, f"/apply/{app_id}/pay/start", {"platform": "支付宝"})).status_code == 422
    assert await closing.close_expired(now(), app.state.providers.payments) == 1
    closed = await Order.get(id=old.id)
    assert closed.status == "closed" and closed.open_key is None and closed.closed_at is not None
    assert (await SandboxPayment.get(out_trade_no=old.number)).status == "closed"
    assert await closing.close_expired(now(), app.state.providers.payments) == 0  # a second run (or process) finds nothing
    await make_order(client, app_id)
    new = await Order.get(application_id=app_id, status="open")
    assert new.id != old.id and new.number != old.number and new.open_key == app_id


async def test_generate_order_closes_an_expired_order_before_the_job_runs(client, demo):
    app_id = await approved(client)
    await make_order(client, app_id)
    old = await Order.get(application_id=app_id)
    await Order.filter(id=old.id).update(expires_at=now() - timedelta(seconds=1))
    r = await make_order(client, app_id, htmx=True)
    assert r.status_code == 200 and "待支付" in r.text
    assert (await Order.get(id=old.id)).status == "closed"
    assert await Order.filter(application_id=app_id, status="open").count() == 1


async def test_the_close_job_runs_at_start_and_keeps_running(client, demo, app):
    app_id = await approved(client)
    await make_order(client, app_id)
    await Order.filter(application_id=app_id).update(expires_at=now() - timedelta(seconds=1))
    job = asyncio.create_task(closing.close_expired_forever(app.state.providers.payments))
    try:
        for _ in range(50):
            await asyncio.sleep(0.05)
            if await Order.filter(status="closed").exists():
                break
        assert (await Order.get(application_id=app_id)).status == "closed"
        assert not job.done()
    finally:
        job.cancel()


# ------------------------------------------------------------------ the wizard around payment


async def test_after_approval_entering_the_exam_goes_to_payment_with_the_print_button(client, demo):
    app_id = await approved(client)
    exam_id = (await Application.get(id=app_id)).exam_id
    r = await post(client, f"/exams/{exam_id}/enter")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/pay"
    page = await client.get(f"/apply/{app_id}/pay")
    assert "网上缴费" in page.text and f'href="/apply/{app_id}/form.pdf"' in page.text and "报名表打印" in page.text
    assert 'id="restart"' in page.text  # re-registration stays possible until payment
    assert (await client.get(f"/apply/{app_id}/result")).status_code == 200  # the review notice stays readable


async def test_re_registration_closes_the_open_order_and_its_payment_page(client, gateway, demo):
    app_id = await approved(client)
    await make_order(client, app_id)
    sandbox_page = await pay(client, app_id)  # the gateway's page stays open in another tab
    await post(client, f"/apply/{app_id}/restart")
    order = await Order.get(application_id=app_id)
    assert (await Application.get(id=app_id)).status == "withdrawn"
    assert order.status == "closed" and order.open_key is None and order.closed_at is not None
    assert (await SandboxPayment.get(out_trade_no=order.number)).status == "closed"
    r = await post(client, sandbox_page + "/confirm")  # 确认支付 there now pays nothing
    assert (await SandboxPayment.get(out_trade_no=order.number)).status == "closed"
    assert not await PaymentNotification.exists() and (await Order.get(id=order.id)).status == "closed"
    assert r.status_code in (303, 409, 422)
