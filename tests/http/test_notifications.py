"""Notifications (issue 16): 审核通过 / 审核不通过 / 缴费即将截止 / 订单已关闭 / 准考证可打印, each once per application
as a 消息 and an SMS in the sandbox outbox, whatever the number of job runs at once; retries after a provider
failure, the texts' limits, the reminders' switch, the 消息 page, the header's count and the office's record."""
import asyncio
import os
import re
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest

from models.applications import Application
from models.exams import ExamProvince
from models.notifications import Event, Notification, NotificationSetting, SmsAttempt
from models.payments import Order
from models.sandbox import SmsOutbox
from services import clock
from settings import ROOT
from services.notifications import events, jobs, sending, texts
from services.providers.sms import SandboxSms, SmsSendError
from tests.factories import account_client, approved_with_order, csrf_of, make_app, reviewer, token


def now():
    return clock.now()


async def decide(client, app_id, action="approve", **data):
    return await client.post(f"/review/applications/{app_id}/decide",
                             data={"csrf_token": await token(client), "action": action, **data})


async def run_job(app, at=None):
    return await jobs.run_once(app.state.providers.sms, at or now())


def header_count(html: str) -> int:
    """The unread count the header's 消息 link shows (0: no count shown)."""
    link = re.search(r'<a href="/messages" class="messages-link" id="messages-link">(.*?)</a>', html, re.S)
    assert link, "no 消息 link in the header"
    count = re.search(r'<span class="count">(\d+)<span class="hidden-text">条未读</span></span>', link[1])
    return int(count[1]) if count else 0


async def outbox(phone):
    return [m.text for m in await SmsOutbox.filter(phone=phone, code="").order_by("id")]  # not the codes


async def test_approval_on_the_board_reaches_the_candidate_once_as_a_message_and_one_sms(app, client, demo):
    a = await make_app()
    account = await a.account
    await reviewer(client)
    assert (await decide(client, a.id)).status_code == 303
    row = await Notification.get(application_id=a.id)
    assert row.event == Event.APPROVED and row.sms_status == "pending"
    await asyncio.gather(run_job(app), run_job(app))
    await run_job(app)
    texts_sent = await outbox(account.phone)
    assert len(texts_sent) == 1 and texts_sent[0].startswith(texts.SIGN) and "已审核通过" in texts_sent[0]
    assert len(texts_sent[0]) <= 70
    assert (await Notification.get(id=row.id)).sms_status == "sent"
    assert await SmsAttempt.filter(notification_id=row.id, ok=True).count() == 1


async def test_a_rejection_says_why_and_what_to_do_with_the_sms_cut_to_70_and_no_full_id(app, client, demo):
    a = await make_app()
    account = await a.account
    await reviewer(client)
    long_reason = f"身份证号{account.id_number}与学历证书不一致，请核对后重新上传学历证书扫描件、工作年限证明并重新提交报名"
    assert (await decide(client, a.id, "reject", reason=long_reason)).status_code == 303
    await run_job(app)
    [sms] = await outbox(account.phone)
    assert len(sms) <= 70 and "审核未通过" in sms and "重新提交" in sms and sms.startswith(texts.SIGN)
    row = await Notification.get(application_id=a.id, event=Event.REJECTED)
    assert account.id_number not in sms + row.body + row.title
    assert account.id_number[:3] + "*" * 11 + account.id_number[-4:] in row.body  # masked, in full otherwise
    assert "学历证书不一致" in row.body and "修改后重新提交" in row.body
    # the candidate reopens, resubmits, and is rejected again: this decision is told too (its own review log row)
    await Application.filter(id=a.id).update(status="submitted")
    assert (await decide(client, a.id, "reject", reason_choice="证明材料不清晰")).status_code == 303
    await run_job(app)
    assert len(await outbox(account.phone)) == 2


def test_every_text_fits_one_sms_with_the_sign_off_and_masks_id_numbers():
    context = {"exam": texts.exam_label(2027, "中级"), "province": "内蒙古", "pay_end": "12月31日23:59",
               "ticket_start": "12月31日09:00", "ticket_end": "12月31日23:59", "order": "20271130-11-ABCDEFGH"}
    for event in Event.LABELS:
        text = texts.render(event, reason="原" * 200, **context)
        assert len(text.sms) <= texts.SMS_MAX and text.sms.startswith(texts.SIGN), event
        assert text.title and text.body
    too_long = texts.render("rejected", reason="", **{**context, "exam": "很长的考试名称" * 10})
    assert len(too_long.sms) == texts.SMS_MAX and too_long.sms.endswith("…")  # a template edited too long: cut
    assert texts.mask_ids("11010519900307123X及110105900307123") == "110***********123X及110********7123"
    assert texts.mask_ids("订单20271130-11-ABCDEFGH，电话13900000001") == "订单20271130-11-ABCDEFGH，电话13900000001"


async def test_the_candidate_reads_the_message_the_header_counts_and_the_home_page_lists_it(app, client, demo):
    a = await make_app()
    account = await a.account
    await reviewer(client)
    await decide(client, a.id)
    async with await account_client(app, account) as candidate:
        home = (await candidate.get("/")).text
        assert header_count(home) == 1 and "（1条未读）" in home and "报名审核通过" in home
        assert header_count((await candidate.get("/account")).text) == 1  # on every page
        listing = (await candidate.get("/messages")).text
        assert "未读" in listing and "报名审核通过" in listing
        row = await Notification.get(application_id=a.id)
        page = await candidate.get(f"/messages/{row.id}")
        assert page.status_code == 200 and "已审核通过" in page.text and "去缴费" in page.text
        assert header_count(page.text) == 0  # the header of this very page counts it read
        assert header_count((await candidate.get(f"/messages/{row.id}")).text) == 0  # opened again: still read
        assert (await Notification.get(id=row.id)).read_at is not None
        home = (await candidate.get("/")).text
        assert header_count(home) == 0 and "条未读" not in home and "报名审核通过" in home
        assert 'class="unread-mark"' not in (await candidate.get("/messages")).text


async def test_another_candidates_message_is_404_and_anonymous_visitors_log_in(app, client, demo):
    a, b = await make_app(), await make_app()
    await reviewer(client)
    await decide(client, a.id)
    row = await Notification.get(application_id=a.id)
    async with await account_client(app, await b.account) as other:
        assert (await other.get(f"/messages/{row.id}")).status_code == 404
        assert (await other.get("/messages/999999")).status_code == 404
        assert "报名审核通过" not in (await other.get("/messages")).text
    assert (await Notification.get(id=row.id)).read_at is None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as anonymous:
        r = await anonymous.get(f"/messages/{row.id}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def set_pay_end(hours_from_now: float, code="11"):
    await ExamProvince.filter(province_code=code, exam__code="demo-chuji").update(
        pay_start=now() - timedelta(days=5), pay_end=now() + timedelta(hours=hours_from_now))


async def test_payment_due_reminds_approved_unpaid_applications_24_hours_before_payment_closes(app, demo):
    await set_pay_end(30)
    due, paid, submitted = await make_app(status="approved"), await make_app(status="paid"), await make_app()
    await run_job(app)
    assert not await Notification.filter(event=Event.PAYMENT_DUE).exists()  # 30 hours left: not yet
    await set_pay_end(23)
    await asyncio.gather(run_job(app), run_job(app))
    await run_job(app)
    assert await Notification.filter(event=Event.PAYMENT_DUE).values_list("application_id", flat=True) == [due.id]
    [sms] = await outbox((await due.account).phone)
    assert "截止缴费" in sms and len(sms) <= 70
    assert await outbox((await paid.account).phone) == [] and await outbox((await submitted.account).phone) == []


async def test_a_candidate_who_switched_reminders_off_gets_none_but_still_gets_the_outcome(app, client, demo):
    await set_pay_end(23)
    a = await make_app()
    account = await a.account
    async with await account_client(app, account) as candidate:
        page = (await candidate.get("/messages")).text
        assert 'id="reminders-on"' in page and "checked" in page.split('id="reminders-on"')[1].split(">")[0]
        r = await candidate.post("/messages/reminders", data={"csrf_token": await csrf_of(candidate, "/messages")})
        assert r.status_code == 303 and r.headers["location"] == "/messages?saved=1"
        saved = (await candidate.get(r.headers["location"])).text
        assert "已关闭缴费即将截止、准考证可打印提醒" in saved
        assert "checked" not in saved.split('id="reminders-on"')[1].split(">")[0]
    assert await NotificationSetting.exists(account_id=account.id, reminders_off=True)
    await reviewer(client)
    await decide(client, a.id)  # 审核通过 is told whatever the switch says
    await run_job(app)
    assert await Notification.filter(application_id=a.id).values_list("event", flat=True) == [Event.APPROVED]
    assert len(await outbox(account.phone)) == 1
    async with await account_client(app, account) as candidate:  # switched on again (htmx: the fragment)
        r = await candidate.post("/messages/reminders", headers={"HX-Request": "true"},
                                 data={"csrf_token": await csrf_of(candidate, "/messages"), "reminders": "on"})
        assert r.status_code == 200 and "已开启" in r.text and "<html" not in r.text
    await run_job(app)
    assert await Notification.filter(application_id=a.id, event=Event.PAYMENT_DUE).exists()


async def test_an_order_that_ran_out_of_time_is_told_once_and_not_one_closed_by_payment(app, demo):
    await set_pay_end(72)
    a, order = await approved_with_order(minutes_left=30)
    later = now() + timedelta(minutes=31)
    from services.payment import closing
    assert await closing.close_expired(later, app.state.providers.payments) == 1
    await asyncio.gather(run_job(app, later), run_job(app, later))
    await run_job(app, later + timedelta(minutes=1))
    [sms] = await outbox((await a.account).phone)
    assert "订单已超时关闭" in sms and "重新生成订单" in sms
    row = await Notification.get(application_id=a.id, event=Event.ORDER_CLOSED)
    assert row.ref == order.id and order.number in row.body
    # a new order is open: the next closed one is not told while it is open, and a paid application never
    b, _ = await approved_with_order(minutes_left=30)
    await Application.filter(id=b.id).update(status="paid")
    c, _ = await approved_with_order(minutes_left=30)
    await closing.close_expired(later, app.state.providers.payments)
    await Order.create(number="20270101-11-NEWORDER", application=c, open_key=c.id, amount_fen=5600, created_at=later,
                       expires_at=later + timedelta(minutes=30))  # 生成订单 again before the job ran
    await run_job(app, later)
    assert not await Notification.filter(application_id__in=(b.id, c.id)).exists()
    await Order.filter(number="20270101-11-NEWORDER").update(status="paid", open_key=None)
    await run_job(app, later)
    assert not await Notification.filter(application_id__in=(b.id, c.id)).exists()


async def test_ticket_printing_opens_for_seated_candidates_only(app, demo):
    from tests.factories import arranged
    seated = await make_app(status="paid")
    await arranged("demo-chuji", "11")
    unseated = await make_app(status="paid")  # paid after the arrangement: no seat yet
    await ExamProvince.filter(province_code="11", exam__code="demo-chuji").update(
        ticket_start=now() + timedelta(hours=1), ticket_end=now() + timedelta(days=5))
    await run_job(app)
    assert not await Notification.filter(event=Event.TICKET_OPEN).exists()
    await ExamProvince.filter(province_code="11", exam__code="demo-chuji").update(ticket_start=now())
    await asyncio.gather(run_job(app), run_job(app))
    assert await Notification.filter(event=Event.TICKET_OPEN).values_list("application_id", flat=True) == [seated.id]
    [sms] = await outbox((await seated.account).phone)
    assert "准考证已可打印" in sms and await outbox((await unseated.account).phone) == []


class FailingTwice(SandboxSms):
    """A provider that refuses the first two sends (a gateway's bad minute), then delivers."""

    def __init__(self):
        self.failures = 2

    async def send_text(self, phone, text, *, now):
        if self.failures:
            self.failures -= 1
            raise SmsSendError("gateway timeout")
        await super().send_text(phone, text, now=now)


async def test_a_provider_failure_is_retried_with_backoff_and_each_attempt_is_shown_to_the_office(app, client, demo):
    a = await make_app()
    account = await a.account
    await reviewer(client)
    await decide(client, a.id)
    provider, t = FailingTwice(), now()
    assert (await sending.send_due(provider, t))[1] == 0
    row = await Notification.get(application_id=a.id)
    assert row.sms_status == "pending" and row.sms_attempts == 1 and "gateway timeout" in row.sms_last_error
    assert row.sms_next_at == t + sending.backoff(1)
    assert (await sending.send_due(provider, t + timedelta(seconds=30)))[1] == 0  # not before its wait
    assert (await sending.send_due(provider, t + timedelta(minutes=1)))[1] == 0  # second failure: waits 2 minutes
    assert (await Notification.get(id=row.id)).sms_next_at == t + timedelta(minutes=1) + sending.backoff(2)
    assert (await sending.send_due(provider, t + timedelta(minutes=3)))[1] == 1
    assert (await sending.send_due(provider, t + timedelta(minutes=30)))[1] == 0  # sent: never again
    assert len(await outbox(account.phone)) == 1
    assert await SmsAttempt.filter(notification_id=row.id).order_by("id").values_list("ok", flat=True) == [
        False, False, True]
    detail = (await client.get(f"/review/applications/{a.id}")).text
    assert "短信通知" in detail and "gateway timeout" in detail and "已发送" in detail


async def test_an_unreachable_phone_fails_after_the_last_attempt_and_the_message_is_still_there(app, demo):
    a = await make_app(phone="13900000000")  # the sandbox cannot reach a number ending in 0000
    from services.notifications import events as ev
    await ev.review_outcome(a.id, True, None, 1, now())
    t = now()
    for n in range(sending.MAX_ATTEMPTS):
        await sending.send_due(app.state.providers.sms, t)
        t += sending.backoff(n + 1)
    row = await Notification.get(application_id=a.id)
    assert row.sms_status == "failed" and row.sms_attempts == sending.MAX_ATTEMPTS
    assert (await sending.send_due(app.state.providers.sms, t + timedelta(days=1)))[1] == 0
    assert await SmsAttempt.filter(notification_id=row.id, ok=False).count() == sending.MAX_ATTEMPTS
    assert await outbox("13900000000") == []


async def test_a_sender_that_died_holding_an_sms_is_taken_over_after_its_claim(app, demo):
    a = await make_app()
    await events.review_outcome(a.id, True, None, 1, now())
    row = await Notification.get(application_id=a.id)
    t = now()
    assert await sending._claim(row.id, 0, t)  # a process claimed it, then died before sending
    assert (await sending.send_due(app.state.providers.sms, t + timedelta(seconds=30)))[1] == 0
    assert (await sending.send_due(app.state.providers.sms, t + sending.CLAIM))[1] == 1
    assert len(await outbox((await a.account).phone)) == 1


def job_process(settings) -> subprocess.CompletedProcess:
    """`python -m cli notify`: one run of the notification job, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "cli", "notify"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "DATABASE_URL": settings.database_url})


async def test_two_processes_running_the_job_at_once_send_each_event_once(app, client, demo, settings):
    """Two nodes' jobs at the same moment, each a process of its own (on SQLite two connections to the file, on
    PostgreSQL two sessions): every event is one row and one SMS in the outbox."""
    await set_pay_end(23)
    apps = [await make_app(status="approved") for _ in range(20)] + [await make_app() for _ in range(10)]
    await reviewer(client)
    for a in apps[20:]:
        assert (await decide(client, a.id, "reject", reason_choice="证明材料不清晰")).status_code == 303
    runs = await asyncio.gather(*(asyncio.to_thread(job_process, settings) for _ in range(2)))
    assert [r.returncode for r in runs] == [0, 0], [r.stderr[-2000:] for r in runs]
    assert all("通知：新记录" in r.stdout for r in runs)
    assert sum(int(re.search(r"发送短信 (\d+) 条", r.stdout)[1]) for r in runs) == 30
    rows = await Notification.all().values_list("application_id", "event", "sms_status")
    assert sorted((a, e) for a, e, _ in rows) == sorted(
        [(a.id, Event.PAYMENT_DUE) for a in apps[:20]] + [(a.id, Event.REJECTED) for a in apps[20:]])
    assert {s for _, _, s in rows} == {"sent"}
    phones = await SmsOutbox.all().values_list("phone", flat=True)
    assert len(phones) == 30 and len(set(phones)) == 30
    assert await SmsAttempt.all().count() == 30


async def test_scores_published_reach_each_candidate_with_a_score_once_when_the_publication_time_comes(app, demo):
    from models.arrangement import Admission
    from models.exams import Exam
    from services import scores
    from tests.factories import arranged
    with_score, without = await make_app(status="paid"), await make_app(status="paid")
    await arranged("demo-chuji", "11")
    number = (await Admission.get(application_id=with_score.id)).number
    exam = await Exam.get(code="demo-chuji")
    batch, _ = await scores.prepare(exam, "11", f"准考证号,科目,成绩\n{number},初级会计实务,75\n".encode(), "s.csv",
                                    "test", now())
    assert (await scores.confirm(batch, now())).ok
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    await scores.set_publication(ep, now() + timedelta(hours=2), "test", now())
    await run_job(app)
    assert not await Notification.filter(event=Event.SCORES_PUBLISHED).exists()  # before publication: nothing
    await asyncio.gather(run_job(app, now() + timedelta(hours=2)), run_job(app, now() + timedelta(hours=2)))
    await run_job(app, now() + timedelta(hours=3))
    assert await Notification.filter(event=Event.SCORES_PUBLISHED).values_list("application_id", flat=True) == [
        with_score.id]
    [sms] = [t for t in await outbox((await with_score.account).phone) if "成绩" in t]
    assert "成绩已发布" in sms and len(sms) <= 70
    assert not [t for t in await outbox((await without.account).phone) if "成绩" in t]


async def test_commitment_approval_at_submission_is_told_like_a_reviewers(app, client, demo):
    """告知承诺 (浙江): the application is approved at 提交 by the system, in that transaction; the candidate gets
    审核通过 all the same, once."""
    from models.exams import ExamCity, Site
    from tests.factories import PERSONAL, at_info, post, upload_photo
    account, app_id = await at_info(client)
    await post(client, f"/apply/{app_id}/province", {"province": "33"})
    await post(client, f"/apply/{app_id}/notice", {"agree": "1"})
    await post(client, f"/apply/{app_id}/announcements")
    await post(client, f"/apply/{app_id}/condition", {"condition": "chuji_high_school"})
    await upload_photo(client, app_id)
    ep = await ExamProvince.get(province_code="33", exam__code="demo-chuji")
    site = await Site.filter(city=await ExamCity.filter(exam_province=ep).first()).first()
    await post(client, f"/apply/{app_id}/info", {"city": site.city_id, "site": site.id,
                                                 "subjects": ["初级会计实务", "经济法基础"], **PERSONAL})
    assert (await post(client, f"/apply/{app_id}/confirm", {"commitment": "1"})).status_code == 303
    assert await Notification.filter(application_id=app_id).values_list("event", flat=True) == [Event.APPROVED]
    await asyncio.gather(run_job(app), run_job(app))
    [sms] = await outbox(account.phone)
    assert "已审核通过" in sms and "（浙江）" in (await Notification.get(application_id=app_id)).body
    assert header_count((await client.get("/")).text) == 1
