"""成绩滚动 in Chromium (issue 16): a 中级 candidate who passed 中级会计实务 and 财务管理 in 2026 (published) comes to
报名信息填写 of 2027: the two are shown as 已通过科目，有效至 2027 年, only 经济法 is offered, the fee counts one
subject, and the application goes on to 信息确认 with 经济法 alone. The page is checked with axe at 1366 and
375 px, no wider than the phone."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import image, log_in, settle
from tests.browser.pagecheck import check_page as _check
from tests.factories import images, pdf

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13700137096"
async def _seed() -> dict:
    """Inside a subprocess against the browser server's database: the candidate (verified, with 信息采集), last
    year's 中级 exam with their published scores, and their 2027 中级 draft at 报名信息填写 (rows: the wizard's
    earlier steps are the wizard journey's)."""
    from datetime import date, timedelta

    import db
    import settings as settings_module
    from models.accounts import Account
    from models.applications import Application
    from models.exams import Exam, ExamProvince
    from models.profiles import Education, Profile
    from models.scores import Score, ScoreImport, ScoreRelease
    from services.accounts import passwords
    from services.accounts.idnumbers import check_digit
    from services.clock import now

    s = settings_module.load()
    await db.init(s.database_url)
    try:
        first17 = "11010519850307123"
        account = await Account.create(id_type="mainland", id_number=first17 + check_digit(first17), name="滚动生",
                                       phone=PHONE, realname_at=now(), realname_method="alipay",
                                       password_hash=await passwords.hash_password("Passw0rd2027"))
        await Education.create(account=account, level="大学本科", school="首都经济贸易大学", major="会计学",
                               graduated_on=date(2008, 7, 1), certificate_no="100381200805001234")
        await Profile.create(account=account, ethnicity="汉族", political_status="群众", address="北京市东城区1号",
                             postcode="100010", email="g@example.com", degree="学士", degree_org="首都经济贸易大学",
                             degree_date=date(2008, 7, 1), accounting_start=date(2009, 3, 1), work_saved=True,
                             basic_saved=True)
        past = now() - timedelta(days=400)
        old = await Exam.create(code="zhongji-2026", year=2026, name="2026年度全国会计专业技术中级资格考试", level="中级",
                                subjects=["中级会计实务", "财务管理", "经济法"], max_subjects=3)
        old_ep = await ExamProvince.create(exam=old, province_code="11", reg_start=past, reg_end=past,
                                           pay_start=past, pay_end=past)
        sat = await Application.create(account=account, exam=old, province=old_ep, status="paid", paid_at=past,
                                       subjects=old.subjects)
        batch = await ScoreImport.create(token="rolling2026", exam=old, content="", actor="t", created_at=past,
                                         status="confirmed")
        for subject, tenths in (("中级会计实务", 720), ("财务管理", 605), ("经济法", 480)):
            await Score.create(application=sat, exam=old, exam_province=old_ep, subject=subject, tenths=tenths,
                               batch=batch)
        await ScoreRelease.create(exam_province=old_ep, published_at=past, set_by="t", set_at=past)
        ep = await ExamProvince.get(exam__code="demo-zhongji", province_code="11")
        draft = await Application.create(account=account, exam_id=ep.exam_id, province=ep, status="draft",
                                         notice_agreed_at=now(), announcements_read_at=now(),
                                         condition="zhongji_benke", active_key=f"{account.id}:{ep.exam_id}")
        return {"app": draft.id, "per_subject": ep.fee_per_subject_fen, "per_person": ep.fee_per_person_fen}
    finally:
        await db.close()


def seed(server_env) -> dict:
    code = "import asyncio, json, tests.browser.test_rolling_journey as t; print(json.dumps(asyncio.run(t._seed())))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_page(page, state: str, found: list[str]) -> None:
    _check(page, state, found, "rolling")


def test_a_zhongji_candidate_with_two_subjects_passed_registers_for_the_third_only(page, server_env):
    found: list[str] = []
    ids = seed(server_env)
    app_id = ids["app"]
    log_in(page, PHONE)
    page.wait_for_url(re.compile(r"/$|/\?"))
    page.goto(f"/apply/{app_id}/info")
    carried = page.inner_text("#carried-subjects")
    assert "已通过科目，有效至 2027 年：中级会计实务、财务管理" in carried
    offered = page.locator("input[name='subjects']").evaluate_all("els => els.map(e => e.value)")
    assert offered == ["经济法"]
    check_page(page, "报名信息填写-已通过科目", found)
    page.select_option("#city", label="朝阳区")
    page.wait_for_selector("#site option:nth-child(2)", state="attached")
    page.select_option("#site", index=1)
    page.check("input[value='经济法']")
    one = (ids["per_person"] + ids["per_subject"]) // 100
    page.wait_for_selector(f"#fee:has-text('{one}.00')")
    page.set_input_files("#photo", image("me.jpg", images.photo()))
    with page.expect_navigation():
        page.click("button:has-text('上传照片')")
    page.wait_for_selector("figure.preview, img.id-photo")
    settle(page)
    if page.locator("figure.preview").count():
        page.click("button:has-text('使用此照片')")
        page.wait_for_selector("img.id-photo")
    if page.locator("#no_employer").count() and not page.locator("#employer").input_value():
        page.check("#no_employer")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    for i in range(page.locator("input[type='file']").count()):  # 证明材料: every item, chosen at once
        page.locator("input[type='file']").nth(i).set_input_files(image(f"m{i}.pdf", pdf(), "application/pdf"))
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    summary = page.inner_text("main")
    assert re.search(r"报名科目\s*经济法\s", summary) and f"¥{one}.00" in summary, summary[:800]
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
