"""重新报名 racing a payment notification (issue 11, defect 4): both take the application's lock before its orders,
so on PostgreSQL they queue instead of deadlocking, and every pair ends in one of the two consistent states:
paid (the withdrawal refused) or withdrawn (the order closed, the money listed for 对账)."""
import asyncio

import pytest

from models.applications import Application
from models.exams import Site
from models.payments import Order, PaymentNotification
from models.reviews import ReviewLog
from tests.factories import account_client, approved_with_order, csrf_of, notify, signed


async def withdraw(client, app_id: int, delay: float = 0):
    await asyncio.sleep(delay)
    token = await csrf_of(client, "/exams")
    return await client.post(f"/apply/{app_id}/restart", data={"csrf_token": token})


async def notify_later(client, fields: dict, delay: float):
    await asyncio.sleep(delay)
    return await notify(client, fields)


async def assert_consistent(app_id: int, order: Order, restarted, notified):
    """One of the two outcomes, whoever came first; never a 500."""
    assert restarted.status_code in (303, 409) and notified.status_code == 200, (restarted.status_code,
                                                                                 notified.text)
    assert notified.text == "success"
    app, order = await Application.get(id=app_id), await Order.get(id=order.id)
    notes = await PaymentNotification.filter(order_id=order.id).values_list("outcome", flat=True)
    if app.status == "paid":  # the notification first: 重新报名 is refused
        assert restarted.status_code == 409
        assert order.status == "paid" and order.open_key is None and notes == ["paid"]
        assert await ReviewLog.filter(application_id=app_id, action="paid").count() == 1
        assert not await ReviewLog.filter(application_id=app_id, action="withdraw").exists()
    else:  # 重新报名 first: the order is closed and the late money goes to 对账
        assert app.status == "withdrawn" and restarted.status_code == 303
        assert order.status == "closed" and order.open_key is None and notes == ["late_paid"]
        assert not await ReviewLog.filter(application_id=app_id, action="paid").exists()


async def test_a_notification_arriving_while_re_registration_holds_the_application_waits_for_it(
        app, client, demo, settings, monkeypatch):
    """The interleaving that deadlocked on PostgreSQL: 重新报名 has changed the application and the site and not
    yet closed the orders when the notification comes. The notification must queue behind it, not take the order
    first."""
    application, order = await approved_with_order()
    browser = await account_client(app, await application.account)
    record = ReviewLog.record
    holding = asyncio.Event()

    async def slow_record(application_id, action, *args, **kwargs):
        if action == "withdraw":  # the application is held: let the notification arrive now, and give it time
            holding.set()
            await asyncio.sleep(0.4)
        return await record(application_id, action, *args, **kwargs)

    async def notify_while_held():
        # Sent once 重新报名 holds the application, however long its first steps take on a busy machine.
        await asyncio.wait_for(holding.wait(), 30)
        return await notify(client, signed(settings, order))

    monkeypatch.setattr(ReviewLog, "record", slow_record)
    async with browser:
        restarted, notified = await asyncio.gather(withdraw(browser, application.id), notify_while_held())
    await assert_consistent(application.id, order, restarted, notified)
    assert (await Application.get(id=application.id)).status == "withdrawn"  # it held the application first


@pytest.mark.parametrize("batch", range(3))
async def test_staggered_pairs_of_re_registration_and_a_notification_end_consistently(app, client, demo, settings,
                                                                                     batch):
    """Many pairs, the notification a little earlier or later each time; every answer a 200 / 303 / 409."""
    pairs = []
    for i in range(8):
        application, order = await approved_with_order()
        pairs.append((application, order, await account_client(app, await application.account), i))
    taken_before = (await Site.get(id=pairs[0][0].site_id)).taken

    async def one(application, order, browser, i):
        async with browser:
            stagger = (i - 4 + batch / 3) * 0.004  # -16 ms ... +16 ms between the two
            return await asyncio.gather(withdraw(browser, application.id, max(0.0, -stagger)),
                                        notify_later(client, signed(settings, order), max(0.0, stagger)))

    answers = await asyncio.gather(*(one(*pair) for pair in pairs))
    for (application, order, _, _), (restarted, notified) in zip(pairs, answers):
        await assert_consistent(application.id, order, restarted, notified)
    assert taken_before >= 0  # the places given back never go below zero (taken > 0 condition)
