"""审核: reviewer login, scope, the queue, the detail view, 通过 / 不通过, races, CSRF, bulk approve."""
import asyncio
import logging

import httpx
import pytest

from models.applications import Application
from models.reviews import ReviewLog
from tests.factories import csrf_of
from tests.factories import register
from tests.factories import make_app, reviewer, token



@pytest.fixture
async def second(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def decide(client, app_id, action="approve", htmx_target=None, **data):
    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    return await client.post(f"/review/applications/{app_id}/decide",
                             data={"csrf_token": await token(client), "action": action, **data}, headers=headers)


async def test_review_login_page_lock_out_and_logout(client, demo):
    page = await client.get("/review")
    assert page.status_code == 200 and "审核人员登录" in page.text
    import cli
    await cli.add_reviewer("beijing", "11", None, "Shenhe2027")
    t = await csrf_of(client, "/review")
    await client.get("/captcha.png")
    r = await client.post("/review/login", data={"csrf_token": t, "username": "beijing", "password": "wrong",
                                                 "captcha": "TEST"})
    assert r.status_code == 422 and "账号或密码错误" in r.text
    await client.get("/captcha.png")
    r = await client.post("/review/login", data={"csrf_token": t, "username": "beijing", "password": "Shenhe2027",
                                                 "captcha": "TEST"})
    assert r.status_code == 303
    board = await client.get("/review")
    assert "报名审核" in board.text and "beijing" in board.text and "/review/reconcile" in board.text
    r = await client.post("/review/logout", data={"csrf_token": await token(client)})
    assert r.status_code == 303 and "审核人员登录" in (await client.get("/review")).text


async def test_a_candidate_session_is_refused_on_every_review_url(client, demo):
    target = await make_app()
    await register(client)  # registering logs the candidate in
    assert "审核人员登录" in (await client.get("/review")).text  # the login page itself
    for url in (f"/review/applications/{target.id}", "/review/export.csv", "/review/stats", "/review/realname",
                "/review/photos", f"/review/applications/{target.id}/bundle.pdf"):
        assert (await client.get(url)).status_code == 403, url
    r = await decide(client, target.id, csrf_token=await csrf_of(client, "/account"))
    assert r.status_code == 403
    assert (await Application.get(id=target.id)).status == "submitted"


async def test_anonymous_visitors_are_sent_to_the_login_page(client, demo):
    r = await client.get("/review/stats")
    assert r.status_code == 303 and r.headers["location"] == "/review"


async def test_queue_shows_the_scope_with_counts_masked_numbers_and_pay_status(client, demo):
    a = await make_app(name="李四", phone="13912345678")
    await make_app(name="赵六", resubmitted=True)
    await make_app(name="钱七", status="approved")
    await make_app(name="孙八", status="paid")
    await make_app(province="31", city="310101", name="上海人")
    await reviewer(client)
    page = await client.get("/review")
    assert "李四" in page.text and "赵六" in page.text and "上海人" not in page.text and "钱七" not in page.text
    assert a.snapshot["candidate"]["id_number"] not in page.text and "13912345678" not in page.text
    assert "139****5678" in page.text and a.snapshot["candidate"]["id_number"][-4:] in page.text
    assert "重新提交" in page.text
    assert 'data-status="submitted" aria-current="true">待审核 <b>2</b>' in page.text
    assert "审核通过 <b>2</b>" in page.text and "报名成功 <b>1</b>" in page.text
    approved = await client.get("/review?status=approved", headers={"HX-Request": "true"})
    assert "<html" not in approved.text and "钱七" in approved.text and "孙八" in approved.text
    assert "已缴费" in approved.text and "未缴费" in approved.text


async def test_filters_search_and_pages_keep_the_url(client, demo):
    a = await make_app(name="李四")
    await make_app(name="周九", city="110108")
    for i in range(21):
        await make_app(name=f"张{i}", minutes_ago=100 - i)
    await reviewer(client)
    # The search is posted and kept in the session (tests/http/test_review_search.py): never in the URL.
    t = await token(client)
    by_last4 = await client.post("/review/search", data={"csrf_token": t, "q": a.id_last4}, follow_redirects=True)
    assert "李四" in by_last4.text and "周九" not in by_last4.text
    by_name = await client.post("/review/search", data={"csrf_token": t, "q": "周"}, follow_redirects=True)
    assert "周九" in by_name.text and "李四" not in by_name.text
    await client.post("/review/search", data={"csrf_token": t, "clear": "1", "q": "周"})
    assert "第 1 / 2 页" in (await client.get("/review?q=周")).text  # a q in a URL is no search
    by_city = await client.get("/review?city=110108")
    assert "周九" in by_city.text and "李四" not in by_city.text and "待审核 <b>1</b>" in by_city.text
    first = await client.get("/review")
    assert "第 1 / 2 页" in first.text and "张0" in first.text and "李四" not in first.text
    assert 'href="/review?status=submitted&amp;page=2"' in first.text
    second_page = await client.get("/review?status=submitted&page=2")
    assert "李四" in second_page.text and "张0" not in second_page.text
    assert "中级" not in (await client.get("/review?level=中级")).text.split("<tbody>")[1].split("</tbody>")[0]
    bad = await client.get("/review?day=2027-13-45")
    assert bad.status_code == 200 and "日期格式" in bad.text


async def test_detail_shows_the_snapshot_full_numbers_history_and_eligibility(client, demo):
    a = await make_app(name="李四", phone="13912345678")
    await ReviewLog.record(a.id, "submit", "draft", "submitted", a.submitted_at)
    await reviewer(client)
    page = await client.get(f"/review/applications/{a.id}")
    assert page.status_code == 200 and "<html" in page.text
    for text in (a.snapshot["candidate"]["id_number"], "13912345678", "报考信息", "基本信息", "学历信息", "学位信息",
                 "工作信息", "证明材料", "审核记录", "北京大学", "根据填报信息，符合该报考条件", "不通过原因",
                 "照片不符合要求", "提交"):
        assert text in page.text, text
    panel = await client.get(f"/review/applications/{a.id}", headers={"HX-Request": "true"})
    assert "<html" not in panel.text and a.snapshot["candidate"]["id_number"] in panel.text


async def test_approve_from_the_row_updates_it_in_place_with_counts_and_logs(client, demo):
    a = await make_app()
    await make_app(name="李四")
    await reviewer(client)
    r = await decide(client, a.id, htmx_target=f"row-{a.id}")
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<tr id="row-{a.id}"')
    assert "审核通过" in r.text and 'id="counts" hx-swap-oob="true"' in r.text and "待审核 <b>1</b>" in r.text
    stored = await Application.get(id=a.id)
    assert stored.status == "approved" and stored.reviewed_by == "beijing" and stored.reviewed_at is not None
    log = await ReviewLog.get(application_id=a.id)
    assert (log.action, log.from_status, log.to_status, log.actor) == ("approve", "submitted", "approved", "beijing")


async def test_reject_needs_a_reason_and_changes_nothing_without_one(client, demo):
    a = await make_app()
    await reviewer(client)
    r = await decide(client, a.id, "reject", htmx_target="detail")
    assert r.status_code == 422
    from tests.factories import field_error
    assert field_error(r.text, "reason") == "请选择或填写不通过的原因"
    r = await decide(client, a.id, "reject", reason_choice="不在列表里的原因")
    assert r.status_code == 422 and "请从列表中选择原因" in r.text
    stored = await Application.get(id=a.id)
    assert stored.status == "submitted" and stored.review_reason is None and not await ReviewLog.exists()


async def test_reject_with_a_template_and_text_shows_in_the_panel_row_and_history(client, demo):
    a = await make_app()
    await reviewer(client)
    r = await decide(client, a.id, "reject", htmx_target="detail", reason_choice="证明材料不清晰", reason="请重新扫描")
    assert r.status_code == 200 and "审核未通过" in r.text and "证明材料不清晰；请重新扫描" in r.text
    assert f'<template><tr id="row-{a.id}" data-row class="status-rejected" hx-swap-oob="true">' in r.text
    stored = await Application.get(id=a.id)
    assert stored.status == "rejected" and stored.review_reason == "证明材料不清晰；请重新扫描"
    assert (await ReviewLog.get(application_id=a.id)).reason == "证明材料不清晰；请重新扫描"
    plain = await decide(client, a.id, "approve")
    assert plain.status_code == 409 and "该申请已由beijing审核" in plain.text


async def test_the_second_reviewer_is_told_who_decided_and_changes_nothing(client, second, demo):
    a = await make_app()
    await reviewer(client)
    await reviewer(second, "beijing2")
    assert (await decide(client, a.id)).status_code == 303
    r = await decide(second, a.id, "reject", reason="不符合")
    assert r.status_code == 409 and "该申请已由beijing审核" in r.text
    stored = await Application.get(id=a.id)
    assert stored.status == "approved" and stored.reviewed_by == "beijing"
    assert await ReviewLog.filter(application_id=a.id).count() == 1


async def test_two_concurrent_approvals_make_one_log_row(client, second, demo):
    a = await make_app()
    await reviewer(client)
    await reviewer(second, "beijing2")
    t1, t2 = await token(client), await token(second)
    r1, r2 = await asyncio.gather(
        client.post(f"/review/applications/{a.id}/decide", data={"csrf_token": t1, "action": "approve"}),
        second.post(f"/review/applications/{a.id}/decide", data={"csrf_token": t2, "action": "approve"}))
    assert sorted([r1.status_code, r2.status_code]) == [303, 409]
    assert await ReviewLog.filter(application_id=a.id).count() == 1
    stored = await Application.get(id=a.id)
    assert stored.status == "approved" and stored.reviewed_by in ("beijing", "beijing2")


async def test_approving_an_application_withdrawn_meanwhile_changes_nothing(client, demo):
    a = await make_app()
    await reviewer(client)
    await Application.filter(id=a.id).update(status="withdrawn", active_key=None)
    r = await decide(client, a.id, htmx_target=f"row-{a.id}")
    assert r.status_code == 409 and "考生已撤销该申请" in r.text
    stored = await Application.get(id=a.id)
    assert stored.status == "withdrawn" and stored.reviewed_by is None and not await ReviewLog.exists()


@pytest.mark.parametrize("csrf", ["forged", None])
async def test_a_forged_or_missing_csrf_token_is_refused(client, demo, csrf):
    a = await make_app()
    await reviewer(client)
    data = {"action": "approve"} | ({"csrf_token": "0" * 40} if csrf else {})
    r = await client.post(f"/review/applications/{a.id}/decide", data=data)
    assert r.status_code == 403
    r = await client.post("/review/bulk", data={"ids": [str(a.id)], **({"csrf_token": "bad"} if csrf else {})})
    assert r.status_code == 403
    assert (await Application.get(id=a.id)).status == "submitted" and not await ReviewLog.exists()


async def test_bulk_approve_skips_what_is_out_of_scope_and_says_so(client, demo):
    a, b = await make_app(name="李四"), await make_app(name="赵六")
    done = await make_app(name="钱七", status="rejected", reviewed_by="beijing2")
    shanghai = await make_app(province="31", city="310101", name="上海人")
    await reviewer(client)
    r = await client.post("/review/bulk", data={"csrf_token": await token(client), "back": "status=submitted",
                                                "ids": [str(a.id), str(b.id), str(shanghai.id), str(done.id), "x"]},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200 and "已通过 2 条；未处理 3 条" in r.text
    assert f"编号 {shanghai.id}：不在您的审核范围内或不存在" in r.text and "该申请已由beijing2审核" in r.text
    assert "待审核 <b>0</b>" in r.text
    assert [x.status for x in await Application.filter(id__in=[a.id, b.id]).order_by("id")] == ["approved"] * 2
    assert (await Application.get(id=shanghai.id)).status == "submitted"
    assert (await Application.get(id=done.id)).status == "rejected"
    assert await ReviewLog.filter(application_id=shanghai.id).count() == 0


async def test_bulk_approve_keeps_the_filters_in_view_and_without_javascript_redirects(client, demo):
    a = await make_app(name="李四", city="110108")
    other_city = await make_app(name="赵六", city="110105")
    await reviewer(client)
    # htmx: the list was filtered to 海淀区 after the page loaded; the answer is that filtered list.
    r = await client.post("/review/bulk", data={"csrf_token": await token(client), "back": "status=submitted",
                                                "ids": [str(a.id)]},
                          headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/review?city=110108"})
    assert "已通过 1 条" in r.text and "赵六" not in r.text
    # No JavaScript: 303 back to the same filters, and the page says what was done and skipped, and why.
    r = await client.post("/review/bulk", data={"csrf_token": await token(client), "back": "city=110105",
                                                "ids": [str(other_city.id), str(a.id)]})
    assert r.status_code == 303 and r.headers["location"].startswith("/review?city=110105&done=1&skipped=")
    page = await client.get(r.headers["location"])
    assert "已通过 1 条；未处理 1 条" in page.text and f"编号 {a.id}：该申请已由beijing审核" in page.text
    assert (await Application.get(id=other_city.id)).status == "approved"


async def test_a_photo_can_be_rejected_whatever_the_provinces_reason_templates(client, demo):
    from models.exams import ExamProvince
    await ExamProvince.filter(province_code="11").update(reject_reasons=["证明材料不清晰"])
    a = await make_app(name="李四", photo_flag="背景颜色过深")
    await reviewer(client)
    r = await client.post(f"/review/applications/{a.id}/decide", data={
        "csrf_token": await token(client), "action": "reject", "reason_choice": "照片不符合要求",
        "back": "/review/photos"})
    assert r.status_code == 303
    assert (await Application.get(id=a.id)).review_reason == "照片不符合要求"


async def test_another_provinces_application_is_404_and_logged(client, demo, caplog):
    shanghai = await make_app(province="31", city="310101", name="上海人")
    await reviewer(client)
    caplog.set_level(logging.WARNING, logger="kjks")
    for url in (f"/review/applications/{shanghai.id}", f"/review/applications/{shanghai.id}/bundle.pdf",
                f"/review/applications/{shanghai.id}/files/x.jpg"):
        assert (await client.get(url)).status_code == 404, url
    assert (await decide(client, shanghai.id)).status_code == 404
    r = await client.post(f"/review/applications/{shanghai.id}/photo-ok", data={"csrf_token": await token(client)})
    assert r.status_code == 404
    assert "review scope refused" in caplog.text
    assert "上海人" not in (await client.get("/review/export.csv?status=submitted")).content.decode("utf-8-sig")
    assert (await Application.get(id=shanghai.id)).status == "submitted"


async def test_a_shanghai_reviewer_sees_shanghai_and_not_beijing(client, demo):
    beijing = await make_app(name="北京人")
    await make_app(province="31", city="310101", name="上海人")
    await reviewer(client, "shanghai", "31")
    page = await client.get("/review")
    assert "上海人" in page.text and "北京人" not in page.text
    assert (await client.get(f"/review/applications/{beijing.id}")).status_code == 404


async def test_a_city_reviewer_sees_only_that_city(client, demo):
    mine = await make_app(name="朝阳人", city="110105")
    other = await make_app(name="海淀人", city="110108")
    await reviewer(client, "chaoyang", "11", city="110105")
    page = await client.get("/review")
    assert "朝阳人" in page.text and "海淀人" not in page.text and "待审核 <b>1</b>" in page.text
    assert (await client.get(f"/review/applications/{other.id}")).status_code == 404
    assert (await client.get(f"/review/applications/{mine.id}")).status_code == 200
    assert (await decide(client, other.id)).status_code == 404
    assert (await Application.get(id=other.id)).status == "submitted"


async def test_the_submission_date_filter_uses_the_china_day(client, demo):
    from datetime import timedelta

    from services import clock
    await make_app(name="今天交")
    await make_app(name="前天交", minutes_ago=2 * 24 * 60)
    await reviewer(client)
    today = clock.today()
    page = await client.get(f"/review?day={today.isoformat()}")
    assert "今天交" in page.text and "前天交" not in page.text and "待审核 <b>1</b>" in page.text
    page = await client.get(f"/review?day={(today - timedelta(days=2)).isoformat()}")
    assert "前天交" in page.text and "今天交" not in page.text
    csv_text = (await client.get(f"/review/export.csv?day={today.isoformat()}")).content.decode("utf-8-sig")
    assert "今天交" in csv_text and "前天交" not in csv_text
