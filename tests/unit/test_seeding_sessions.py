"""Exam data of issue 15 in the seed file: 考试场次, 考场 per 报名点 with its 考点, the 准考证打印 window and 考试须知.
A bad file is refused with the line and the reason, and nothing of it is loaded (one transaction)."""
from datetime import date, datetime

import pytest

from models.exams import Exam, ExamProvince, ExamSession, Room, Site
from services.clock import CN
from services.reference import seeding

TODAY = date(2027, 1, 10)

GOOD = """\
[[exam]]
code = "t-chuji"
year = 2027
name = "2027年度初级"
level = "初级"

[[exam.session]]
date = "2027-05-15"
start = "08:30"
end = "11:50"
subjects = ["初级会计实务", "经济法基础"]

[[exam.province]]
code = "11"
registration = { start = "2027-01-02 09:00", end = "2027-01-20 18:00" }
payment = { start = "2027-01-02 09:00", end = "2027-01-22 18:00" }
admission_ticket = "考前10日至考前1日"
ticket_window = { start = "2027-05-05 09:00", end = "2027-05-14 18:00" }
exam_notice = "一、考生须凭准考证和有效身份证件原件入场。"

[[exam.province.city]]
code = "110105"

[[exam.province.city.site]]
name = "朝阳区报名点"
address = "北京市朝阳区日坛北路33号"
capacity = 100
room_seats = 30
rooms = 2

[[exam.province.city.site.room]]
number = 101
seats = 40

[[exam.province.city.site]]
name = "望京报名点"
address = "北京市朝阳区望京街10号"
capacity = 100
venue = "北京市第一考点"
venue_address = "北京市通州区通朝大街100号"

[[exam.province.city.site.room]]
number = 7
seats = 20
"""

ZHONGJI = """\
[[exam]]
code = "t-zhongji"
year = 2027
name = "2027年度中级"
level = "中级"

[[exam.session]]
date = "2027-09-04"
start = "08:30"
end = "11:15"
subjects = ["中级会计实务"]

[[exam.session]]
date = "2027-09-04"
start = "13:30"
end = "15:45"
subjects = ["财务管理"]

[[exam.session]]
date = "2027-09-05"
start = "08:30"
end = "10:30"
subjects = ["经济法"]
"""


def write(tmp_path, text):
    f = tmp_path / "exams.toml"
    f.write_text(text, encoding="utf-8")
    return f


def line_of(text, needle, after=""):
    """The 1-based line of the first `needle` after the first `after`."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if after in l) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


async def refused(tmp_path, text, *fragments):
    """Seeding `text` (after a good exam, so that a half-load would show) is refused naming every fragment,
    and the database holds no exam at all."""
    with pytest.raises(seeding.SeedError) as e:
        await seeding.seed(write(tmp_path, text), TODAY)
    for fragment in fragments:
        assert fragment in str(e.value)
    assert await Exam.all().count() == 0 and await Room.all().count() == 0
    return str(e.value)


async def test_sessions_rooms_venue_and_ticket_window_are_loaded(clean_db, tmp_path):
    await seeding.seed(write(tmp_path, GOOD + ZHONGJI), TODAY)
    chuji = await Exam.get(code="t-chuji")
    (s,) = await ExamSession.filter(exam=chuji)
    assert (s.number, s.batch, s.subjects) == (1, 1, ["初级会计实务", "经济法基础"])
    assert s.starts_at == datetime(2027, 5, 15, 8, 30, tzinfo=CN) and s.ends_at == datetime(2027, 5, 15, 11, 50, tzinfo=CN)
    chaoyang = await Site.get(name="朝阳区报名点")
    assert [(r.number, r.seats) for r in await Room.filter(site=chaoyang).order_by("number")] == [(1, 30), (2, 30), (101, 40)]
    assert (chaoyang.venue, chaoyang.venue_address) == ("朝阳区报名点", "北京市朝阳区日坛北路33号")  # the site's own
    wangjing = await Site.get(name="望京报名点")
    assert (wangjing.venue, wangjing.venue_address) == ("北京市第一考点", "北京市通州区通朝大街100号")
    ep = await ExamProvince.get(exam=chuji)
    assert ep.ticket_start == datetime(2027, 5, 5, 9, 0, tzinfo=CN) and ep.ticket_end == datetime(2027, 5, 14, 18, tzinfo=CN)
    assert ep.admission_ticket == "考前10日至考前1日" and ep.exam_notice.startswith("一、考生须凭准考证")
    zhongji = await Exam.get(code="t-zhongji")
    assert [x.subjects for x in await ExamSession.filter(exam=zhongji).order_by("number")] == [
        ["中级会计实务"], ["财务管理"], ["经济法"]]
    again = await seeding.seed(write(tmp_path, GOOD + ZHONGJI), TODAY)
    assert again["created"] == again["updated"] == 0


async def test_a_session_outside_the_exam_year_is_refused_with_its_line(clean_db, tmp_path):
    text = GOOD + ZHONGJI.replace('date = "2027-09-05"', 'date = "2028-09-05"')
    message = await refused(tmp_path, text, "2028-09-05", "不在考试年度 2027 年内")
    assert f"第 {line_of(text, '2028-09-05')} 行" in message


async def test_a_room_with_no_seats_is_refused_with_its_line(clean_db, tmp_path):
    text = GOOD.replace("number = 7\nseats = 20", "number = 7\nseats = 0")
    message = await refused(tmp_path, text, "座位数", "现为 0")
    assert f"第 {line_of(text, 'seats = 0')} 行" in message


async def test_a_default_of_no_seats_is_refused_too(clean_db, tmp_path):
    text = GOOD.replace("room_seats = 30", "room_seats = 0")
    message = await refused(tmp_path, text, "room_seats", "现为 0")
    assert f"第 {line_of(text, 'room_seats = 0')} 行" in message


async def test_a_duplicate_room_number_at_a_site_is_refused_with_its_line(clean_db, tmp_path):
    text = GOOD.replace("number = 101", "number = 2")  # rooms = 2 made 1 and 2 already
    message = await refused(tmp_path, text, "考场号 2 重复", "朝阳区报名点")
    assert f"第 {line_of(text, 'seats = 40')} 行" in message


async def test_the_same_room_number_at_two_sites_is_allowed(clean_db, tmp_path):
    await seeding.seed(write(tmp_path, GOOD.replace("number = 7", "number = 101")), TODAY)
    assert await Room.filter(number=101).count() == 2


async def test_a_session_naming_a_subject_of_another_level_is_refused_with_its_line(clean_db, tmp_path):
    text = GOOD + ZHONGJI.replace('subjects = ["财务管理"]', 'subjects = ["经济法基础"]')
    message = await refused(tmp_path, text, "经济法基础", "不是中级的科目")
    assert f"第 {line_of(text, '经济法基础', after='t-zhongji')} 行" in message


async def test_a_subject_of_the_exam_without_a_session_is_refused(clean_db, tmp_path):
    text = GOOD + ZHONGJI.replace('subjects = ["经济法"]', 'subjects = ["财务管理"]')
    await refused(tmp_path, text, "财务管理")  # twice in batch 1, and 经济法 has no session


async def test_a_room_may_not_shrink_below_a_seat_given(clean_db, tmp_path):
    from tests.factories import make_app
    from models.arrangement import Arrangement, Seat

    await seeding.seed(write(tmp_path, GOOD), TODAY)
    room = await Room.get(number=101)
    app = await make_app(name="张三", exam="t-chuji")
    session = await ExamSession.get(exam__code="t-chuji")
    ep = await ExamProvince.get(exam__code="t-chuji")
    run = await Arrangement.create(exam_province=ep, seed=1, actor="test", at=datetime(2027, 1, 25, tzinfo=CN))
    await Seat.create(application=app, session=session, room=room, seat=35, arrangement=run)
    with pytest.raises(seeding.SeedError, match="不能减少座位数"):
        await seeding.seed(write(tmp_path, GOOD.replace("seats = 40", "seats = 30").replace('name = "2027年度初级"', 'name = "改名"')), TODAY)
    assert (await Room.get(id=room.id)).seats == 40 and (await Exam.get(code="t-chuji")).name == "2027年度初级"


async def test_more_sites_in_a_city_than_the_admission_number_can_hold_is_refused(clean_db, tmp_path):
    sites = "".join(f'\n[[exam.province.city.site]]\nname = "报名点{i}"\ncapacity = 10\n' for i in range(100))
    text = GOOD.split("[[exam.province.city.site]]")[0] + sites
    message = await refused(tmp_path, text, "报名点最多 99 个")
    city_line = line_of(text, "[[exam.province.city]]")
    assert f"第 {city_line} 行" in message
