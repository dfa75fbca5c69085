"""Reference lists for the registration form: cities of each 省级单位, 民族, 政治面貌, 学历 and 学位.

Cities come from data/cities.json (GB/T 2260 codes as of 2023; see its "_source" and "_comment"),
read once, on first use. Standard library only.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "cities.json"


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


# GB/T 3304 order, then 其他 for foreigners and others.
ETHNIC_GROUPS: tuple[str, ...] = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族",
    "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
    "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
    "其他",
)

# GB/T 4762 政治面貌, as used on Chinese forms.
POLITICAL_STATUS: tuple[str, ...] = (
    "中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员",
    "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众",
)

EDUCATION_LEVELS: tuple[str, ...] = ("初中及以下", "高中（中专、职高、技校）", "大学专科", "大学本科", "研究生")

DEGREES: tuple[str, ...] = ("无", "学士", "双学士", "硕士", "博士")
