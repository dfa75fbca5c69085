from datetime import date
from types import SimpleNamespace

import pytest

from services.registration.eligibility import check, work_years


def edu(level):
    return SimpleNamespace(level=level)


def test_work_years_are_counted_to_31_december_of_the_exam_year():
    assert work_years(date(2023, 1, 1), 2027) == 4
    assert work_years(date(2023, 12, 31), 2027) == 4
    assert work_years(date(2024, 1, 1), 2027) == 3
    assert work_years(None, 2027) == 0


@pytest.mark.parametrize("code,educations,degree,start,met", [
    ("chuji_high_school", [edu("高中（中专、职高、技校）")], "无", None, True),
    ("chuji_high_school", [edu("初中及以下")], "无", None, False),
    ("zhongji_zhuanke", [edu("大学专科")], "无", date(2022, 12, 31), True),
    ("zhongji_zhuanke", [edu("大学专科")], "无", date(2023, 1, 1), False),
    ("zhongji_benke", [edu("大学本科")], "学士", date(2023, 1, 1), True),
    ("zhongji_benke", [edu("大学专科")], "学士", date(2023, 1, 1), True),  # 学士学位 is enough
    ("zhongji_benke", [edu("大学本科")], "学士", date(2024, 1, 1), False),
    ("zhongji_shuangxueshi", [edu("大学本科")], "双学士", date(2025, 1, 1), True),
    ("zhongji_shuoshi", [edu("研究生")], "硕士", date(2026, 1, 1), True),
    ("zhongji_shuoshi", [edu("研究生")], "硕士", date(2027, 6, 1), False),
    ("zhongji_boshi", [edu("研究生")], "博士", None, True),
    ("zhongji_boshi", [edu("研究生")], "硕士", None, False),
])
def test_conditions(code, educations, degree, start, met):
    result = check(code, 2027, educations, degree, start)
    assert result.met is met
    assert (result.reason == "") is met


def test_reason_says_why():
    r = check("zhongji_zhuanke", 2027, [edu("大学专科")], "无", date(2024, 3, 1))
    assert r.reason == "截至2027年12月31日从事会计工作3年，需满5年"
    assert check("chuji_high_school", 2027, [], None, None).reason == "信息采集中没有学历信息"


def test_a_condition_the_record_cannot_show_is_not_checked():
    r = check("zhongji_title", 2027, [], None, None)
    assert not r.checkable and r.met
