"""The maintainers' CLI: seed is idempotent, the demo covers open / future / closed provinces."""
from datetime import date, datetime, timedelta, timezone

import pytest

import cli
from models.accounts import Reviewer
from models.exams import Exam, ExamProvince
from services import passwords, seeding

CN = timezone(timedelta(hours=8))


async def snapshot():
    exams = [tuple(v for k, v in e.__dict__.items() if not k.startswith("_")) for e in await Exam.all().order_by("id")]
    provs = [(p.exam_id, p.province_code, p.reg_start, p.reg_end, p.pay_start, p.pay_end, p.phones, p.website)
             for p in await ExamProvince.all().order_by("id")]
    return exams, provs


async def test_seed_twice_changes_nothing():
    today = date(2027, 1, 10)
    first = await seeding.seed(cli.DEMO_FILE, today)
    assert first["created"] >= 8 and first["updated"] == 0
    before = await snapshot()
    second = await seeding.seed(cli.DEMO_FILE, today)
    assert second["created"] == 0 and second["updated"] == 0
    assert await snapshot() == before


async def test_demo_windows_are_relative_to_today():
    today = datetime.now(CN).date()
    await seeding.seed(cli.DEMO_FILE, today)
    now = datetime.now(CN)
    exam = await Exam.get(code="demo-chuji")
    rows = {p.province_code: p for p in await ExamProvince.filter(exam=exam)}
    assert rows["11"].reg_start <= now <= rows["11"].reg_end  # 北京 open today
    assert rows["31"].reg_start > now  # 上海 opens next month
    assert rows["44"].reg_end < now  # 广东 closed last month
    assert {e.level for e in await Exam.all()} == {"初级", "中级"}


async def test_bad_seed_file_is_refused_with_a_message(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('[[exam]]\ncode="x"\nyear=2027\nname="x"\nlevel="特级"\n', encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="级别"):
        await seeding.seed(f, date.today())
    f.write_text('[[exam]]\ncode="x"\nyear=2027\nname="x"\nlevel="初级"\n[[exam.province]]\ncode="11"\n'
                 'registration={start="2027-01-02 09:00", end="2027-01-01 09:00"}\n'
                 'payment={start="2027-01-02 09:00", end="2027-01-03 09:00"}\n', encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="结束时间"):
        await seeding.seed(f, date.today())
    assert await Exam.all().count() == 0  # nothing half-written


async def test_reviewer_add_creates_a_scoped_reviewer_with_a_slow_hash():
    assert await cli.add_reviewer("sh-1", "31", "浦东新区", "Review2027x")
    assert not await cli.add_reviewer("sh-1", "31", None, "Other2027x")
    r = await Reviewer.get(username="sh-1")
    assert r.province_code == "31" and r.city == "浦东新区"
    assert await passwords.verify_password(r.password_hash, "Review2027x")
