import json
from collections import Counter

import pytest

from services.reference import regions
from services.reference.options import DEGREES, EDUCATION_LEVELS, ETHNIC_GROUPS, POLITICAL_STATUS
from services.reference.regions import PROVINCES, cities, city_name, is_city

MUNICIPALITIES = ("11", "12", "31", "50")


def test_ethnic_groups_follow_gb_3304_with_other_last():
    assert len(ETHNIC_GROUPS) == 57
    assert ETHNIC_GROUPS[-1] == "其他"
    groups = ETHNIC_GROUPS[:-1]
    assert len(set(groups)) == 56 and all(g.endswith("族") for g in groups)
    # GB/T 3304 codes are the 1-based positions.
    assert groups[0] == "汉族" and groups[1] == "蒙古族" and groups[22] == "高山族"
    assert groups[28] == "柯尔克孜族" and groups[55] == "基诺族"


def test_other_lists():
    assert len(POLITICAL_STATUS) == 13 and len(set(POLITICAL_STATUS)) == 13
    assert POLITICAL_STATUS[0] == "中共党员" and POLITICAL_STATUS[-1] == "群众"
    assert "九三学社社员" in POLITICAL_STATUS
    assert EDUCATION_LEVELS == ("初中及以下", "高中（中专、职高、技校）", "大学专科", "大学本科", "研究生")
    assert DEGREES == ("无", "学士", "双学士", "硕士", "博士")


def test_json_covers_exactly_the_app_provinces():
    raw = json.loads(regions.DATA.read_text(encoding="utf-8"))
    assert "GB/T 2260" in raw["_source"] and "_comment" in raw
    assert {k for k in raw if not k.startswith("_")} == set(PROVINCES)
    assert len(PROVINCES) == 32
    for code in PROVINCES:
        assert cities(code), code


def test_counts():
    assert len(cities("11")) == 16 and len(cities("12")) == 16 and len(cities("31")) == 16
    assert len(cities("50")) == 38  # 26 区 + 12 县
    assert len(cities("44")) == 21
    assert len(cities("66")) == 15
    prefectures = [c for p in PROVINCES if p not in MUNICIPALITIES + ("66",)
                   for c, _ in cities(p) if c.endswith("00")]
    assert len(prefectures) == 333


def test_known_entries_and_order():
    assert cities("11")[0] == ("110101", "东城区") and cities("11")[-1] == ("110119", "延庆区")
    assert ("440300", "深圳市") in cities("44")
    assert cities("44")[0] == ("440100", "广州市")
    assert ("500243", "彭水苗族土家族自治县") in cities("50")
    assert ("429004", "仙桃市") in cities("42") and ("429021", "神农架林区") in cities("42")
    assert ("419001", "济源市") in cities("41")
    assert ("469001", "五指山市") in cities("46") and len(cities("46")) == 19
    assert ("659001", "石河子市") in cities("65")
    assert ("152900", "阿拉善盟") in cities("15")
    assert cities("66")[0] == ("660100", "第一师")
    assert "兵团直属" in [n for _, n in cities("66")]
    for p in PROVINCES:
        codes = [c for c, _ in cities(p)]
        assert codes == sorted(codes), p


def test_codes_unique_and_prefixed_by_province():
    all_codes = [c for p in PROVINCES for c, _ in cities(p)]
    assert not [c for c, n in Counter(all_codes).items() if n > 1]
    assert len({n for p in PROVINCES for _, n in cities(p)}) > 400
    for p in PROVINCES:
        for code, name in cities(p):
            assert len(code) == 6 and code.isdigit() and name, (p, code)
            assert code[:2] == p, (p, code)  # 兵团 keys are 66xxxx by construction


def test_lookup():
    assert is_city("44", "440300")
    assert city_name("44", "440300") == "深圳市"
    assert city_name("42", "429005") == "潜江市"
    assert not is_city("45", "440300")  # right code, wrong province
    assert city_name("45", "440300") is None
    assert not is_city("44", "440000") and not is_city("44", "")


@pytest.mark.parametrize("province", ["99", "", "71", "_source", "440000"])
def test_unknown_province_has_no_cities(province):
    assert cities(province) == []
    assert city_name(province, "440300") is None
    assert not is_city(province, "440300")


def test_cities_returns_a_fresh_list():
    cities("44").clear()
    assert len(cities("44")) == 21
