"""证件号码 rules, all in one place.

| 证件类型 | accepted form |
|---|---|
| 内地居民身份证 | 18 characters: 6-digit area code whose first two digits are a known province, 8-digit birth date (a real date, not in the future, not before 1900), 3-digit sequence (odd = 男, even = 女), and the GB 11643-1999 check character (0-9 or X, ISO 7064 MOD 11-2) |
| 港澳居民来往内地通行证 | H (Hong Kong) or M (Macao) + 8 digits (the card issued since 2013); the older booklet form H/M + 10 digits (8 digits and a 2-digit issue count) is still accepted while such passes remain valid |
| 台湾居民来往大陆通行证 | 8 digits (the card issued since 2015) |
| 护照（外国） | 5 to 20 letters and digits |

Numbers are upper-cased and stripped of spaces before they are checked and stored.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from models.accounts import IdType
from services.reference.regions import ID_PROVINCE_CODES

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

HK_MACAO_RE = re.compile(r"[HM]([0-9]{8}|[0-9]{10})")  # ASCII digits only (\d takes any script's)
TAIWAN_RE = re.compile(r"[0-9]{8}")
PASSPORT_RE = re.compile(r"[A-Z0-9]{5,20}")

FORMAT_HINTS = {
    IdType.MAINLAND: "18位身份证号码，最后一位可为X",
    IdType.HK_MACAO: "H或M开头加8位数字（新版），或加10位数字（旧版）",
    IdType.TAIWAN: "8位数字",
    IdType.PASSPORT: "5至20位字母或数字",
}


@dataclass(frozen=True)
class IdCheck:
    number: str
    error: str | None = None
    birth_date: date | None = None
    gender: str | None = None


def normalize(number: str) -> str:
    """As stored and looked up: full-width characters as ASCII (NFKC: a Chinese keyboard's １２３Ｘ), no spaces,
    upper case. The checks then take ASCII digits only, so one number has one spelling."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number or "")).upper()


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def check_mainland(number: str, today: date) -> IdCheck:
    if len(number) != 18:
        return IdCheck(number, f"身份证号码应为18位，您输入了{len(number)}位")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return IdCheck(number, "身份证号码前17位应为数字，最后一位为数字或X")
    if number[:2] not in ID_PROVINCE_CODES:
        return IdCheck(number, "身份证号码的地区码不正确")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return IdCheck(number, "身份证号码中的出生日期不存在")
    if born.year < 1900 or born > today:
        return IdCheck(number, "身份证号码中的出生日期不正确")
    if check_digit(number[:17]) != number[17]:
        return IdCheck(number, "身份证号码校验位不正确，请核对")
    gender = "男" if int(number[16]) % 2 else "女"
    return IdCheck(number, None, born, gender)


def check(id_type: str, raw: str, today: date) -> IdCheck:
    number = normalize(raw)
    if not number:
        return IdCheck(number, "请输入证件号码")
    if id_type == IdType.MAINLAND:
        return check_mainland(number, today)
    patterns = {IdType.HK_MACAO: HK_MACAO_RE, IdType.TAIWAN: TAIWAN_RE, IdType.PASSPORT: PASSPORT_RE}
    pattern = patterns.get(id_type)
    if pattern is None:
        return IdCheck(number, "请选择证件类型")
    if not pattern.fullmatch(number):
        return IdCheck(number, f"{IdType.LABELS[id_type]}号码格式不正确：应为{FORMAT_HINTS[id_type]}")
    return IdCheck(number)
