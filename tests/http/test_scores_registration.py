"""成绩 and registration (issue 16): a 中级 candidate with subjects passed last year sees them (已通过科目，有效至
YYYY 年) on 报名信息填写, registers only for the remaining ones and pays for those only; a candidate who passed a
level is told so on 选择考试 and cannot start it again; unpublished scores count for nothing."""
from __future__ import annotations

from datetime import timedelta

from models.applications import Application
from models.exams import Exam, ExamCity, ExamProvince, Site
from models.scores import Score, ScoreImport, ScoreRelease
from services.clock import now
from services.registration import fees
from tests.factories import PERSONAL, at_info, candidate, csrf_of, post, upload_photo

ZHONGJI = ["中级会计实务", "财务管理", "经济法"]
CHUJI = ["初级会计实务", "经济法基础"]


async def last_year(account, level: str, subjects: list[str], marks: dict[str, int], published=True) -> None:
    """A 2026 exam of the level in 北京, the account's paid application, its scores (in points) and their
    publication (an hour ago, or tomorrow), as an import and the office leave them."""
    past = now() - timedelta(days=400)
    exam = await Exam.create(code=f"2026-{len(subjects)}", year=2026, name=f"2026年度{level}资格考试", level=level,
                             subjects=subjects, max_subjects=len(subjects))
    ep = await ExamProvince.create(exam=exam, province_code="11", reg_start=past, reg_end=past, pay_start=past,
                                   pay_end=past)
    app = await Application.create(account=account, exam=exam, province=ep, status="paid", subjects=subjects,
                                   paid_at=past)
    batch = await ScoreImport.create(token=f"t{exam.id}", exam=exam, content="", actor="t", created_at=past,
                                     status="confirmed")
    for s, points in marks.items():
        await Score.create(application=app, exam=exam, exam_province=ep, subject=s, tenths=points * 10, batch=batch)
    await ScoreRelease.create(exam_province=ep, published_at=now() + timedelta(hours=-1 if published else 24),
                              set_by="t", set_at=past)


async def info_form(app_id: int, subjects: list[str]) -> dict:
    city = await ExamCity.filter(code="110105", exam_province__province_code="11",
                                 exam_province__exam__code="demo-zhongji").first()
    site = await Site.filter(city=city).order_by("-capacity").first()
    return {"city": city.id, "site": site.id, "subjects": subjects, **PERSONAL}


async def test_zhongji_registers_only_for_the_subjects_not_still_valid_and_pays_for_those(client, demo):
    account, app_id = await at_info(client, "demo-zhongji")
    await last_year(account, "中级", ZHONGJI, {"中级会计实务": 70, "财务管理": 60, "经济法": 59})
    page = await client.get(f"/apply/{app_id}/info")
    assert "已通过科目，有效至 2027 年：中级会计实务、财务管理" in page.text
    assert 'name="subjects" value="经济法"' in page.text
    assert 'value="中级会计实务"' not in page.text and 'value="财务管理"' not in page.text
    await upload_photo(client, app_id)
    r = await post(client, f"/apply/{app_id}/info", await info_form(app_id, ["财务管理", "经济法"]))
    assert r.status_code == 422 and "财务管理已通过且仍在有效期内，无需再次报考" in r.text
    r = await post(client, f"/apply/{app_id}/info", await info_form(app_id, ["经济法"]))
    assert r.status_code == 303, r.text[:1000]
    app = await Application.get(id=app_id)
    ep = await ExamProvince.get(id=app.province_id)
    assert app.subjects == ["经济法"]
    assert fees.fee_fen(ep, app.subjects) == ep.fee_per_person_fen + ep.fee_per_subject_fen  # one subject's fee


async def test_subjects_passed_two_years_ago_or_not_yet_published_are_not_carried(client, demo):
    account, app_id = await at_info(client, "demo-zhongji")
    await last_year(account, "中级", ZHONGJI, {"中级会计实务": 80}, published=False)
    page = await client.get(f"/apply/{app_id}/info")
    assert "已通过科目" not in page.text and 'value="中级会计实务"' in page.text


async def test_a_passed_level_is_not_registered_for_again(client, demo):
    account = await candidate(client)
    await last_year(account, "初级", CHUJI, {"初级会计实务": 60, "经济法基础": 75})
    demo_chuji = await Exam.get(code="demo-chuji")
    page = await client.get("/exams")
    assert f'id="passed-{demo_chuji.id}"' in page.text and "您已通过初级资格考试（2026 年合格），无需再次报名" in page.text
    assert f'action="/exams/{demo_chuji.id}/enter"' not in page.text
    zhongji = await Exam.get(code="demo-zhongji")
    assert f'action="/exams/{zhongji.id}/enter"' in page.text  # another level: open as before
    r = await client.post(f"/exams/{demo_chuji.id}/enter", data={"csrf_token": await csrf_of(client, "/exams")})
    assert r.status_code == 303 and r.headers["location"] == "/exams"
    assert not await Application.filter(account=account, exam=demo_chuji).exists()


async def test_a_failed_level_stays_open(client, demo):
    account = await candidate(client)
    await last_year(account, "初级", CHUJI, {"初级会计实务": 60, "经济法基础": 59})
    demo_chuji = await Exam.get(code="demo-chuji")
    page = await client.get("/exams")
    assert f'action="/exams/{demo_chuji.id}/enter"' in page.text and "无需再次报名" not in page.text
