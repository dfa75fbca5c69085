"""网上报名, the first steps: 选择考试, 选择省份 (windows enforced), 阅读须知, 通知公告, 选择报考条件."""
import re
from datetime import date

import pytest

from models.applications import Application
from models.exams import Exam
from models.profiles import Education, Profile
from tests.factories import candidate, enter, post, to_condition
from tests.factories import mainland_id, register


async def test_exam_registration_needs_real_name_verification(client, demo):
    await register(client)
    r = await client.get("/exams")
    assert r.status_code == 303 and r.headers["location"].startswith("/realname")


async def test_exam_list_has_name_level_and_enter(client, demo):
    await candidate(client)
    r = await client.get("/exams")
    assert "2027年度全国会计专业技术初级资格考试" in r.text and "中级" in r.text and "进入" in r.text


async def test_enter_twice_resumes_the_same_application(client, demo):
    await candidate(client)
    first = await enter(client)
    assert await enter(client) == first
    assert await Application.all().count() == 1


async def test_province_page_enables_only_open_windows(client, demo):
    await candidate(client)
    app_id = await enter(client)
    r = await client.get(f"/apply/{app_id}/province")
    for name in ("北京", "上海", "广东", "浙江"):
        assert name in r.text
    assert r.text.count("点击进入</button>") == 4 and r.text.count(" disabled ") == 2
    assert "咨询电话" in r.text and 'target="_blank"' in r.text


@pytest.mark.parametrize("province,fragment", [("31", "尚未开始"), ("44", "已结束")])
async def test_entering_a_future_or_closed_province_is_refused_whatever_the_url(client, demo, province, fragment):
    await candidate(client)
    app_id = await enter(client)
    r = await post(client, f"/apply/{app_id}/province", {"province": province})
    assert r.status_code == 403 and fragment in r.text
    assert (await Application.get(id=app_id)).province_id is None
    exam = await Exam.get(code="demo-chuji")
    link = await client.get(f"/exams/{exam.id}/provinces/{province}")
    assert link.status_code == 403 and fragment in link.text


async def test_notice_needs_full_agreement(client, demo):
    await candidate(client)
    app_id = await enter(client)
    await post(client, f"/apply/{app_id}/province", {"province": "11"})
    page = await client.get(f"/apply/{app_id}/notice")
    assert "完全同意" in page.text and "已阅读并知晓" in page.text and 'data-enables="agree-next"' in page.text
    r = await post(client, f"/apply/{app_id}/notice")
    assert r.status_code == 422 and "完全同意" in r.text
    assert (await Application.get(id=app_id)).notice_agreed_at is None


async def test_steps_cannot_be_skipped_by_url_or_by_posting(client, demo):
    await candidate(client)
    app_id = await enter(client)
    await post(client, f"/apply/{app_id}/province", {"province": "11"})
    r = await client.get(f"/apply/{app_id}/condition")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/notice"
    r = await post(client, f"/apply/{app_id}/condition", {"condition": "chuji_high_school"})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/notice"
    r = await post(client, f"/apply/{app_id}/info", {})
    assert r.headers["location"] == f"/apply/{app_id}/notice"
    assert (await Application.get(id=app_id)).condition is None


async def test_announcements_are_readable_in_full(client, demo):
    await candidate(client)
    app_id = await enter(client)
    await post(client, f"/apply/{app_id}/province", {"province": "11"})
    await post(client, f"/apply/{app_id}/notice", {"agree": "1"})
    page = await client.get(f"/apply/{app_id}/announcements")
    assert "报考人员必读事项" in page.text
    link = re.search(rf'href="(/apply/{app_id}/announcements/\d+)"', page.text).group(1)
    full = await client.get(link)
    assert full.status_code == 200 and "返回通知公告" in full.text


async def test_condition_checked_against_the_record_says_why(client, demo):
    account = await candidate(client)
    app_id = await to_condition(client, "demo-zhongji")
    page = await client.get(f"/apply/{app_id}/condition")
    assert "报考级别" in page.text and "中级" in page.text and "报考省份" in page.text and "北京" in page.text
    r = await post(client, f"/apply/{app_id}/condition", {"condition": "zhongji_benke"})
    assert r.status_code == 422 and "信息采集" in r.text
    await Education.create(account=account, level="大学本科", school="某大学", major="会计", graduated_on=date(2012, 7, 1),
                           certificate_no="1")
    await Profile.create(account=account, degree="学士", accounting_start=date(2024, 3, 1))
    r = await post(client, f"/apply/{app_id}/condition", {"condition": "zhongji_benke"})
    assert r.status_code == 422 and "截至2027年12月31日从事会计工作3年，需满4年" in r.text
    await Profile.filter(account_id=account.id).update(accounting_start=date(2023, 3, 1))
    r = await post(client, f"/apply/{app_id}/condition", {"condition": "zhongji_benke"})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info"
    assert (await Application.get(id=app_id)).condition == "zhongji_benke"


async def test_a_condition_not_offered_is_refused(client, demo):
    await candidate(client)
    app_id = await to_condition(client)
    r = await post(client, f"/apply/{app_id}/condition", {"condition": "zhongji_boshi"})
    assert r.status_code == 422 and "请选择报考条件" in r.text


async def test_another_candidates_application_is_404(client, other_client, demo):
    await candidate(client)
    app_id = await enter(client)
    await candidate(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    for path in (f"/apply/{app_id}/province", f"/apply/{app_id}/notice", f"/apply/{app_id}/condition"):
        assert (await other_client.get(path)).status_code == 404
    assert (await post(other_client, f"/apply/{app_id}/province", {"province": "11"})).status_code == 404


async def test_the_guide_shows_every_step(client, demo):
    await candidate(client)
    app_id = await enter(client)
    page = await client.get(f"/apply/{app_id}/province")
    for label in ("报名导览", "选择考试", "选择省份", "阅读须知", "通知公告", "选择报考条件", "报名信息填写", "信息确认", "审核告知"):
        assert label in page.text
