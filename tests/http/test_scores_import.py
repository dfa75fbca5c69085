"""成绩导入 (issue 16): the file's encodings and refusals, the preview that stores nothing, the confirmation
that stores the whole file or nothing, an identical second import, a corrected file, `python -m cli scores`."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from models.applications import Application
from models.arrangement import Admission
from models.exams import Exam
from models.scores import Score, ScoreImport
from services import scores
from services.clock import now
from tests.factories import arranged, make_app

ROOT = Path(__file__).resolve().parents[2]
BOTH = ["初级会计实务", "经济法基础"]


async def candidates(n: int = 2, province: str = "11", city: str = "110105") -> list[str]:
    """`n` paid and seated 初级 candidates (both subjects) of the province: their 准考证号."""
    apps = [await make_app(name=f"考生{i}", province=province, city=city, status="paid", paid_at=now())
            for i in range(n)]
    await Application.filter(id__in=[a.id for a in apps]).update(subjects=BOTH)
    await arranged("demo-chuji", province)
    return [(await Admission.get(application_id=a.id)).number for a in apps]


def csv_of(*rows, header=True, sep="\n") -> str:
    lines = (["准考证号,科目,成绩"] if header else []) + [",".join(r) for r in rows]
    return sep.join(lines) + sep


async def exam() -> Exam:
    return await Exam.get(code="demo-chuji")


async def preview(text: str | bytes, province="11"):
    data = text.encode() if isinstance(text, str) else text
    return await scores.prepare(await exam(), province, data, "scores.csv", "test", now())


async def stored() -> dict[tuple[str, str], int]:
    return {(r["application__admission__number"], r["subject"]): r["tenths"] for r in await Score.all().values(
        "application__admission__number", "subject", "tenths")}


async def test_a_preview_stores_no_score_and_the_confirmation_stores_the_whole_file(demo):
    a, b = await candidates()
    batch, p = await preview(csv_of((a, "初级会计实务", "87.5"), (a, "经济法基础", "59"), (b, "初级会计实务", "100")))
    assert (p.rows, p.new, p.unchanged, len(p.refused), p.may_confirm) == (3, 3, 0, 0, True)
    assert "新增 3" in p.message and await Score.all().count() == 0
    out = await scores.confirm(batch, now())
    assert out.ok and "新增 3 条" in out.message
    assert await stored() == {(a, "初级会计实务"): 875, (a, "经济法基础"): 590, (b, "初级会计实务"): 1000}
    assert (await ScoreImport.get(id=batch.id)).status == "confirmed"
    again = await scores.confirm(await ScoreImport.get(id=batch.id), now())
    assert not again.ok and "已经确认" in again.message and await Score.all().count() == 3


async def test_bom_gbk_windows_line_ends_and_extra_spaces_are_read(demo):
    a, b = await candidates()
    text = csv_of((f"  {a} ", " 初级会计实务\u3000", " 61 "), (b, "经济法基础", "７０"), sep="\r\n")
    for data in ("\ufeff" + text).encode("utf-8"), text.encode("gbk"):
        batch, p = await preview(data)
        assert (p.new, len(p.refused)) == (2, 0), [r.reason for r in p.refused]
    assert (await scores.confirm(batch, now())).ok
    assert await stored() == {(a, "初级会计实务"): 610, (b, "经济法基础"): 700}


async def test_a_file_in_no_known_encoding_or_empty_is_refused_as_a_whole(demo):
    xlsx = b"PK\x03\x04" + bytes(range(256)) * 4
    utf16 = "准考证号,科目,成绩\r\n".encode("utf-16")
    huge = ("准考证号,科目,成绩\n" + "1" * 200_000 + ",初级会计实务,80\n").encode()
    for data, says in ((b"\x80\xff\x80\xff", "编码"), (b"  \r\n", "空"), (xlsx, "Excel 工作簿"), (utf16, "UTF-16"),
                       (huge, "无法按 CSV 读取")):
        try:
            await preview(data)
        except scores.FileRefused as e:
            assert says in str(e)
        else:
            raise AssertionError("accepted")
    assert await ScoreImport.all().count() == 0


async def test_every_refused_row_is_listed_with_its_reason_and_nothing_is_stored(demo):
    a, b = await candidates()
    (sh,) = await candidates(1, province="31", city="310101")
    rows = [(a, "初级会计实务", "=1+1"), (a, "经济法基础", "@SUM(A1)"), ("20270000000000000000", "初级会计实务", "80"),
            (b, "中级会计实务", "80"), (b, "初级会计实务", "100.5"), (b, "经济法基础", "87.55"), (b, "经济法基础", "-5"),
            (a, "初级会计实务", "70"), (a, "初级会计实务", "70"), (sh, "初级会计实务", "90"), (a, "经济法基础", "")]
    batch, p = await preview(csv_of(*rows))
    reasons = {r.line: r.reason for r in p.refused}
    assert "公式" in reasons[2] and "公式" in reasons[3]
    assert "准考证号不存在" in reasons[4]
    assert "没有科目“中级会计实务”" in reasons[5]
    assert "0–100" in reasons[6] and "0–100" in reasons[7] and "0–100" in reasons[8]
    assert 9 not in reasons and "重复：第 9 行" in reasons[10]
    assert "其他省份的考生（上海）" in reasons[11]
    assert "缺少列" in reasons[12]
    assert (p.new, len(p.refused), p.may_confirm) == (1, 10, False) and "整个文件不会导入" in p.message
    out = await scores.confirm(batch, now())
    assert not out.ok and await Score.all().count() == 0
    assert (await ScoreImport.get(id=batch.id)).status == "preview"  # the aborted transaction changed nothing


async def test_a_subject_the_candidate_did_not_take_is_refused(demo):
    a, b = await candidates()
    await Application.filter(admission__number=b).update(subjects=["初级会计实务"])
    _, p = await preview(csv_of((b, "经济法基础", "80"), (a, "经济法基础", "80")))
    assert [(r.number, r.reason) for r in p.refused] == [(b, "考生未报考该科目")] and p.new == 1


async def test_an_identical_second_import_changes_nothing_and_says_so(demo):
    a, b = await candidates()
    text = csv_of((a, "初级会计实务", "80"), (b, "初级会计实务", "40"))
    assert (await scores.confirm((await preview(text))[0], now())).ok
    batch, p = await preview(text)
    assert p.nothing_to_change and not p.may_confirm and "完全一致，无需导入" in p.message and p.unchanged == 2
    out = await scores.confirm(batch, now())
    assert not out.ok and "无需导入" in out.message
    assert await Score.filter(batch_id=batch.id).count() == 0 and await Score.all().count() == 2


async def test_a_corrected_file_lists_the_changes_and_replaces_only_after_the_confirmation(demo):
    a, b = await candidates()
    assert (await scores.confirm((await preview(csv_of((a, "初级会计实务", "80"), (b, "初级会计实务", "40"))))[0],
                                 now())).ok
    batch, p = await preview(csv_of((a, "初级会计实务", "80"), (b, "初级会计实务", "60.5"), (b, "经济法基础", "75")))
    assert [(c.number, c.subject, c.old, c.new) for c in p.changes] == [(b, "初级会计实务", "40", "60.5")]
    assert (p.new, p.unchanged) == (1, 1) and "更正 1" in p.message
    assert await stored() == {(a, "初级会计实务"): 800, (b, "初级会计实务"): 400}  # not before the confirmation
    out = await scores.confirm(batch, now())
    assert out.ok and "更正 1 条" in out.message
    assert await stored() == {(a, "初级会计实务"): 800, (b, "初级会计实务"): 605, (b, "经济法基础"): 750}


async def test_a_preview_outdated_by_another_import_is_not_confirmed(demo):
    a, _ = await candidates()
    first, _ = await preview(csv_of((a, "初级会计实务", "80")))
    second, _ = await preview(csv_of((a, "初级会计实务", "85")))
    assert (await scores.confirm(second, now())).ok
    out = await scores.confirm(first, now())
    assert not out.ok and await stored() == {(a, "初级会计实务"): 850}
    assert (await ScoreImport.get(id=first.id)).status == "superseded"
    assert (await ScoreImport.get(id=first.id)).content == ""  # a superseded file is not kept


async def test_a_file_without_header_takes_the_columns_in_order_and_a_header_in_any_order(demo):
    a, _ = await candidates()
    _, p = await preview(csv_of((a, "初级会计实务", "80"), header=False))
    assert p.new == 1 and not p.refused
    _, p = await preview(f"成绩,准考证号,姓名,科目\n80,{a},张三,经济法基础\n")
    assert p.new == 1 and not p.refused


def cli(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "cli", "scores", "import", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_cli_previews_and_imports_only_with_confirm(demo, settings, tmp_path):
    a, b = await candidates()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_of((a, "初级会计实务", "80"), (b, "经济法基础", "59.5"), sep="\r\n").encode("gbk"))
    bad.write_text(csv_of((a, "初级会计实务", "80"), ("123", "初级会计实务", "80")), encoding="utf-8")
    run = await asyncio.to_thread(cli, settings, "demo-chuji", str(good), "--province", "11")
    assert run.returncode == 0 and "新增 2" in run.stdout and "--confirm" in run.stdout, run.stderr
    assert await Score.all().count() == 0
    run = await asyncio.to_thread(cli, settings, "demo-chuji", str(bad), "--confirm")
    assert run.returncode == 2 and "第 3 行\t123" in run.stdout and "准考证号不存在" in run.stdout
    assert await Score.all().count() == 0
    run = await asyncio.to_thread(cli, settings, "demo-chuji", str(good), "--province", "11", "--confirm")
    assert run.returncode == 0 and "已导入：新增 2 条" in run.stdout, run.stderr
    assert await stored() == {(a, "初级会计实务"): 800, (b, "经济法基础"): 595}
    run = await asyncio.to_thread(cli, settings, "demo-chuji", str(good), "--confirm")
    assert run.returncode == 0 and "无需导入" in run.stdout and await Score.all().count() == 2
    run = await asyncio.to_thread(cli, settings, "nope", str(good))
    assert run.returncode == 2 and "没有考试 nope" in run.stderr


async def test_released_applications_names_those_with_scores_once_the_publication_time_has_come(demo):
    from datetime import timedelta

    from models.exams import ExamProvince
    from models.scores import ScoreRelease

    a, b, _ = await candidates(3)
    assert (await scores.confirm((await preview(csv_of((a, "初级会计实务", "80"), (a, "经济法基础", "70"),
                                                      (b, "初级会计实务", "50"))))[0], now())).ok
    ep = await ExamProvince.get(exam__code="demo-chuji", province_code="11")
    assert await scores.released_applications(now()) == []  # no publication time set
    at = now() + timedelta(hours=2)
    await scores.set_publication(ep, at, "test", now())
    assert await scores.released_applications(now()) == []  # not yet
    ids = sorted(await Admission.filter(number__in=[a, b]).values_list("application_id", flat=True))
    got = await scores.released_applications(at)
    assert [(x, y) for x, y, _ in got] == [(i, ep.id) for i in ids]  # the third candidate has no score
    await scores.set_publication(ep, now() - timedelta(minutes=1), "test", now())  # moved earlier: one row still
    assert await ScoreRelease.all().count() == 1 and len(await scores.released_applications(now())) == 2
