"""成绩 on the board and 成绩查询 (issue 16): upload, preview with refused rows, confirm (POST, CSRF), the
publication time; a city reviewer views only; the candidate sees nothing before the publication, by URL too,
then each subject's score with 合格 / 不合格 and the level's result; another candidate's sheet is 404."""
from __future__ import annotations

import re
from datetime import timedelta

from models.accounts import Account
from models.applications import Application
from models.arrangement import Admission
from models.exams import ExamProvince
from models.scores import Score, ScoreImport, ScoreRelease
from services.clock import local, now
from services.scores.results import level_result
from tests.factories import account_client, arranged, csrf_of, make_app, reviewer_client

PAGE = "/review/scores/demo-chuji/11"
BOTH = ["初级会计实务", "经济法基础"]


async def seated(n=2, province="11", city="110105") -> list[Application]:
    apps = [await make_app(name=f"考生{i}", province=province, city=city, status="paid", paid_at=now())
            for i in range(n)]
    await Application.filter(id__in=[a.id for a in apps]).update(subjects=BOTH)
    await arranged("demo-chuji", province)
    return apps


async def number(app) -> str:
    return (await Admission.get(application_id=app.id)).number


async def upload(client, token, text: str, name="scores.csv"):
    return await client.post(PAGE + "/upload", data={"csrf_token": token},
                             files={"file": (name, text.encode("gbk"), "text/csv")})


async def test_a_province_reviewer_uploads_previews_and_confirms_then_publishes(app, demo):
    a, b = await seated()
    na, nb = await number(a), await number(b)
    async with await reviewer_client(app, "11") as client:
        page = await client.get(PAGE)
        assert page.status_code == 200 and "尚未设置发布时间" in page.text and "尚未导入成绩" in page.text
        token = await csrf_of(client, PAGE)
        r = await client.post(PAGE + "/upload", files={"file": ("s.csv", b"x", "text/csv")})
        assert r.status_code == 403 and await ScoreImport.all().count() == 0  # no CSRF token
        r = await upload(client, token, f"准考证号,科目,成绩\r\n{na},初级会计实务,88\r\n{nb},经济法基础,=HYPERLINK(1)\r\n"
                                        f"999,初级会计实务,70\r\n")
        assert r.status_code == 303 and "/imports/" in r.headers["location"]
        preview = await client.get(r.headers["location"])
        assert "拒绝 2" in preview.text and "第 3 行" in preview.text and "公式" in preview.text
        assert "准考证号不存在" in preview.text and 'id="confirm"' not in preview.text
        r = await client.post(r.headers["location"] + "/confirm", data={"csrf_token": token})
        assert r.status_code == 409 and await Score.all().count() == 0  # refused rows: nothing imported
        r = await upload(client, token, f"准考证号,科目,成绩\n{na},初级会计实务,88\n{na},经济法基础,59.5\n")
        where = r.headers["location"]
        assert (await ScoreImport.get(token=where.rsplit("/", 1)[1])).content.startswith("准考证号")  # kept server-side
        preview = await client.get(where)
        assert "新增 2" in preview.text and 'id="confirm"' in preview.text and await Score.all().count() == 0
        r = await client.post(where + "/confirm", data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == PAGE + "?done=imported"
        assert sorted(await Score.all().values_list("subject", "tenths")) == [("初级会计实务", 880), ("经济法基础", 595)]
        page = await client.get(PAGE + "?done=imported")
        assert "成绩已导入" in page.text and "100.0%" in page.text and "0.0%" in page.text
        r = await client.post(where + "/confirm", data={"csrf_token": token})  # pressed again
        assert r.status_code == 409 and "已于" in r.text and await Score.all().count() == 2
        r = await upload(client, token, f"准考证号,科目,成绩\n{na},初级会计实务,88\n{na},经济法基础,59.5\n")
        assert "完全一致，无需导入" in (await client.get(r.headers["location"])).text
        r = await upload(client, token, f"准考证号,科目,成绩\n{na},经济法基础,60\n")
        preview = await client.get(r.headers["location"])
        assert "将更正的成绩（1）" in preview.text and "59.5" in preview.text and "确认更正并导入" in preview.text
        r = await client.post(PAGE + "/publish", data={"csrf_token": token, "published_at": "明天"})
        assert r.status_code == 422 and "请填写发布时间" in r.text and not await ScoreRelease.exists()
        r = await client.post(PAGE + "/publish", data={"csrf_token": token, "published_at": "2027-06-20T10:00"})
        assert r.status_code == 303
        release = await ScoreRelease.get()
        assert local(release.published_at) == "2027-06-20 10:00" and release.set_by == "r11"


async def test_an_unreadable_file_is_refused_with_its_reason_and_nothing_kept(app, demo):
    await seated(1)
    async with await reviewer_client(app, "11") as client:
        token = await csrf_of(client, PAGE)
        r = await client.post(PAGE + "/upload", data={"csrf_token": token},
                              files={"file": ("s.csv", b"\x80\xff\x80\xff", "text/csv")})
        assert r.status_code == 422 and "无法识别文件编码" in r.text and await ScoreImport.all().count() == 0


async def test_a_city_reviewer_sees_the_page_but_may_not_import_or_publish(app, demo):
    (a,) = await seated(1)
    async with await reviewer_client(app, "11", "110105") as client:
        page = await client.get(PAGE)
        assert page.status_code == 200 and "市级审核人员只能查看" in page.text and 'id="upload-form"' not in page.text
        token = await csrf_of(client, PAGE)
        r = await upload(client, token, f"准考证号,科目,成绩\n{await number(a)},初级会计实务,88\n")
        assert r.status_code == 403 and await ScoreImport.all().count() == 0
        r = await client.post(PAGE + "/publish", data={"csrf_token": token, "published_at": "2027-06-20T10:00"})
        assert r.status_code == 403 and not await ScoreRelease.exists()
    async with await reviewer_client(app, "31") as client:  # another province's board
        assert (await client.get(PAGE)).status_code == 404


async def scored(a, b) -> None:
    """a: both subjects passed; b: one failed; imported as the board does."""
    from services import scores
    from models.exams import Exam

    text = (f"准考证号,科目,成绩\n{await number(a)},初级会计实务,88\n{await number(a)},经济法基础,60\n"
            f"{await number(b)},初级会计实务,59.5\n{await number(b)},经济法基础,91\n")
    batch, _ = await scores.prepare(await Exam.get(code="demo-chuji"), "11", text.encode(), "s.csv", "t", now())
    assert (await scores.confirm(batch, now())).ok


async def test_before_publication_no_score_is_visible_then_each_subject_and_the_level_result(app, demo):
    a, b = await seated()
    await scored(a, b)
    ep = await ExamProvince.get(exam__code="demo-chuji", province_code="11")
    async with await account_client(app, await Account.get(id=a.account_id)) as client:
        for release in (None, now() + timedelta(hours=1)):  # none set, then set for later
            if release:
                await ScoreRelease.create(exam_province=ep, published_at=release, set_by="t", set_at=now())
            r = await client.get(f"/scores/{a.id}")
            sheet = r.text.split('id="score-sheet"', 1)[1].split("</section>", 1)[0]
            assert r.status_code == 200 and "成绩尚未发布" in sheet
            assert "88" not in sheet and "60" not in sheet and "合格" not in r.text and "subject-scores" not in r.text
        assert f'href="/scores/{a.id}"' in (await client.get("/scores")).text
        assert 'href="/scores"' in (await client.get("/tickets")).text
        await ScoreRelease.filter(exam_province=ep).update(published_at=now() - timedelta(minutes=1))
        r = await client.get(f"/scores/{a.id}")
        cells = re.findall(r'<td data-label="[^"]+">(.*?)</td>', r.text)
        assert cells == ["初级会计实务", "88", '<strong class="status-paid">合格</strong>', "经济法基础", "60",
                         '<strong class="status-paid">合格</strong>']
        assert "初级资格考试合格（2027 年）" in r.text
        assert (await client.get(f"/scores/{b.id}")).status_code == 404  # another candidate's
    async with await account_client(app, await Account.get(id=b.account_id)) as client:
        r = await client.get(f"/scores/{b.id}")
        assert "59.5" in r.text and "不合格" in r.text and "初级资格考试未通过" in r.text


def test_chuji_needs_both_subjects_in_the_same_year():
    subjects = ["初级会计实务", "经济法基础"]
    assert level_result("初级", subjects, {"初级会计实务": {2027}, "经济法基础": {2027}}).passed_year == 2027
    assert not level_result("初级", subjects, {"初级会计实务": {2026}, "经济法基础": {2027}}).passed


def test_zhongji_rolls_over_two_consecutive_years_only():
    subjects = ["中级会计实务", "财务管理", "经济法"]
    two_years = level_result("中级", subjects, {"中级会计实务": {2026}, "财务管理": {2026}, "经济法": {2027}})
    assert two_years.passed_year == 2027 and two_years.text == "中级资格考试合格（2027 年）"
    three_years = level_result("中级", subjects, {"中级会计实务": {2025}, "财务管理": {2026}, "经济法": {2027}})
    assert not three_years.passed
    assert three_years.valid == {"财务管理": 2027, "经济法": 2028} and three_years.missing == ["中级会计实务"]
    halfway = level_result("中级", subjects, {"中级会计实务": {2027}, "财务管理": {2027}}, 2027)
    assert not halfway.passed and halfway.valid == {"中级会计实务": 2028, "财务管理": 2028}
    assert halfway.missing == ["经济法"]


def test_gaoji_is_the_one_subject():
    assert level_result("高级", ["高级会计实务"], {"高级会计实务": {2027}}).text == "高级资格考试合格（2027 年），可参加评审"
    assert not level_result("高级", ["高级会计实务"], {}).passed


async def test_stats_show_pass_rates_per_subject_city_and_site_and_the_results_export_in_scope(app, demo):
    a, b = await seated()
    (c,) = await seated(1, city="110101")  # 东城区
    await Application.filter(id=b.id).update(cand_name="=cmd|calc")  # a name a spreadsheet would run
    await scored(a, b)
    from services import scores
    from models.exams import Exam
    batch, _ = await scores.prepare(await Exam.get(code="demo-chuji"), "11",
                                    f"准考证号,科目,成绩\n{await number(c)},初级会计实务,30\n".encode(), "c.csv", "t", now())
    assert (await scores.confirm(batch, now())).ok
    ep = await ExamProvince.get(exam__code="demo-chuji", province_code="11")
    async with await reviewer_client(app, "11") as client:
        page = (await client.get(f"/review/stats?exam={ep.id}")).text
        subject = page.split('id="pass-by-subject"', 1)[1].split("</table>", 1)[0]
        assert re.search(r"初级会计实务</th><td>3</td><td>1</td><td>33.3%", subject), subject
        assert re.search(r"经济法基础</th><td>2</td><td>2</td><td>100.0%", subject), subject
        city = page.split('id="pass-by-city"', 1)[1].split("</table>", 1)[0]
        assert re.search(r"朝阳区</th><td>4</td><td>3</td><td>75.0%", city) and re.search(r"东城区</th><td>1</td><td>0</td>",
                                                                                     city), city
        assert 'id="pass-by-site"' in page and f"{PAGE}/results.csv" in page
        r = await client.get(PAGE + "/results.csv")
        text = r.content.decode("utf-8-sig")
        assert r.headers["content-type"].startswith("text/csv") and text.splitlines()[0] == (
            "准考证号,姓名,地市,报名点,初级会计实务,初级会计实务结果,经济法基础,经济法基础结果")
        assert f"{await number(a)},考生0,朝阳区," in text and ",88,合格,60,合格" in text
        assert "'=cmd|calc" in text and ",59.5,不合格,91,合格" in text and ",30,不合格,," in text
    async with await reviewer_client(app, "11", "110101") as client:  # 东城区 only
        text = (await client.get(PAGE + "/results.csv")).content.decode("utf-8-sig")
        assert len(text.splitlines()) == 2 and await number(c) in text and await number(a) not in text
        page = (await client.get(f"/review/stats?exam={ep.id}")).text
        assert "朝阳区</th>" not in page.split('id="pass-rates"', 1)[1]
