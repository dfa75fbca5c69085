"""The maintainers' CLI: seed is idempotent, the demo covers open / future / closed provinces."""
from datetime import date

import pytest

import cli
from models.accounts import Reviewer
from models.exams import Exam, ExamProvince
from services import clock
from services.accounts import passwords
from services.reference import seeding


async def snapshot():
    exams = [tuple(v for k, v in e.__dict__.items() if not k.startswith("_")) for e in await Exam.all().order_by("id")]
    provs = [(p.exam_id, p.province_code, p.reg_start, p.reg_end, p.pay_start, p.pay_end, p.phones, p.website)
             for p in await ExamProvince.all().order_by("id")]
    return exams, provs


async def test_seed_twice_changes_nothing():
    today = date(2027, 1, 10)
    first = await seeding.seed(cli.DEMO_FILE, today)
    assert first["created"] >= 30 and first["updated"] == 0
    before = await snapshot()
    second = await seeding.seed(cli.DEMO_FILE, today)
    assert second["created"] == 0 and second["updated"] == 0
    assert await snapshot() == before


async def test_demo_windows_are_relative_to_today():
    today = clock.today()
    await seeding.seed(cli.DEMO_FILE, today)
    now = clock.now()
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
        await seeding.seed(f, clock.today())
    f.write_text('[[exam]]\ncode="x"\nyear=2027\nname="x"\nlevel="初级"\n[[exam.province]]\ncode="11"\n'
                 'registration={start="2027-01-02 09:00", end="2027-01-01 09:00"}\n'
                 'payment={start="2027-01-02 09:00", end="2027-01-03 09:00"}\n', encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="结束时间"):
        await seeding.seed(f, clock.today())
    assert await Exam.all().count() == 0  # nothing half-written


async def test_reviewer_add_creates_a_scoped_reviewer_with_a_slow_hash():
    assert await cli.add_reviewer("sh-1", "31", "浦东新区", "Review2027x")
    assert not await cli.add_reviewer("sh-1", "31", None, "Other2027x")
    r = await Reviewer.get(username="sh-1")
    assert r.province_code == "31" and r.city == "浦东新区"
    assert await passwords.verify_password(r.password_hash, "Review2027x")


async def test_demo_province_data_is_seeded_in_full():
    from models.exams import Announcement, ExamCity, Site

    await seeding.seed(cli.DEMO_FILE, clock.today())
    exam = await Exam.get(code="demo-zhongji")
    bj = await ExamProvince.get(exam=exam, province_code="11")
    zj = await ExamProvince.get(exam=exam, province_code="33")
    assert bj.review_mode == "manual" and zj.review_mode == "commitment"
    assert bj.fee_per_subject_fen == 5600 and bj.fee_per_person_fen == 0
    assert "zhongji_benke" in bj.conditions and any(m["required"] for m in bj.materials)
    assert await Announcement.filter(exam_province=bj).count() >= 2
    cities = await ExamCity.filter(exam_province=bj)
    assert {c.code for c in cities} >= {"110101", "110105"}
    assert await Site.filter(city__exam_province=bj, capacity=1).count() == 1
    assert await Site.filter(city__exam_province=bj, capacity=0, name__contains="已满测试").count() == 1


async def test_reseeding_keeps_the_places_already_taken():
    from models.exams import Site

    today = clock.today()
    await seeding.seed(cli.DEMO_FILE, today)
    site = await Site.filter(capacity__gte=500).first()
    await Site.filter(id=site.id).update(taken=7)
    await seeding.seed(cli.DEMO_FILE, today)
    assert (await Site.get(id=site.id)).taken == 7


async def test_a_city_of_another_province_is_refused(tmp_path):
    text = cli.DEMO_FILE.read_text(encoding="utf-8").replace('code = "110105"', 'code = "440300"', 1)
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="不属于该省"):
        await seeding.seed(f, clock.today())
    assert await Exam.all().count() == 0


async def test_a_bad_province_photo_table_is_refused_at_seeding(tmp_path):
    text = cli.DEMO_FILE.read_text(encoding="utf-8").replace("photo = { min_width = 295", "photo = { min_wdth = 295", 1)
    assert "min_wdth" in text
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="照片要求"):
        await seeding.seed(f, clock.today())


@pytest.mark.parametrize("line,message", [("reject_reasons = []\n", None), ('reject_reasons = ["", "x"]\n', "reject_reasons"),
                                          ('photo_check = "yes"\n', "photo_check")])
async def test_review_settings_of_a_province_are_checked_at_seeding(tmp_path, line, message):
    from models.exams import ExamProvince
    text = cli.DEMO_FILE.read_text(encoding="utf-8")
    key = line.split(" =")[0]
    text = text.replace(next(ln for ln in text.splitlines(keepends=True) if ln.startswith(key + " =")), line, 1)
    f = tmp_path / "review.toml"
    f.write_text(text, encoding="utf-8")
    if message:
        with pytest.raises(seeding.SeedError, match=message):
            await seeding.seed(f, clock.today())
        assert await Exam.all().count() == 0
    else:  # an empty list is a province that wants no templates: reviewers write every reason
        await seeding.seed(f, clock.today())
        assert (await ExamProvince.get(province_code="11", exam__code="demo-chuji")).reject_reasons == []


def test_reviewer_add_stores_the_city_code_for_a_name_or_a_code(monkeypatch, capsys):
    """`python -m cli reviewer add --city 朝阳区` scopes the reviewer to 110105 (the code the queue compares)."""
    import types
    created = []

    async def fake_add(username, province, city, password):
        created.append(city)
        return True

    monkeypatch.setattr(cli, "add_reviewer", fake_add)
    monkeypatch.setattr(cli, "_with_db", lambda settings, fn: fn())
    for city in ("朝阳区", "110105"):
        args = types.SimpleNamespace(username="cy", province="11", city=city, password="Passw0rd2027")
        assert cli.cmd_reviewer_add(None, args) is None
    args = types.SimpleNamespace(username="x", province="11", city="不存在区", password="Passw0rd2027")
    assert cli.cmd_reviewer_add(None, args) == 2 and "没有地市" in capsys.readouterr().err
    assert created == ["110105", "110105"]
