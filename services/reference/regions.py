"""省级单位 (the 31 provinces plus 新疆生产建设兵团 as its own unit, code 66, as the exam system uses) and
their cities: data/cities.json (GB/T 2260 codes as of 2023; see its "_source" and "_comment"), read once,
on first use. Standard library only."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "cities.json"

PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "66": "新疆生产建设兵团",
}

# The first two digits of a 内地居民身份证 number: the 31 provinces (兵团 members carry 65).
ID_PROVINCE_CODES = frozenset(code for code in PROVINCES if code != "66")


@cache
def _table() -> dict[str, tuple[tuple[str, str], ...]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {
        province: tuple((e["code"], e["name"]) for e in entries)
        for province, entries in raw.items()
        if not province.startswith("_")
    }


@cache
def _names(province_code: str) -> dict[str, str]:
    return dict(_table().get(province_code, ()))


def cities(province_code: str) -> list[tuple[str, str]]:
    """(code, name) of the province's prefecture-level divisions (districts for 直辖市), in order."""
    return list(_table().get(province_code, ()))


def city_name(province_code: str, city_code: str) -> str | None:
    return _names(province_code).get(city_code)


def is_city(province_code: str, city_code: str) -> bool:
    return city_code in _names(province_code)


def province_of(city_code: str) -> str | None:
    """The province of a city's code (its first two digits, GB/T 2260), or None for no city of ours: a city
    chosen from the list of every province's cities (the page without JavaScript) names its province."""
    province = (city_code or "")[:2]
    return province if is_city(province, city_code) else None
