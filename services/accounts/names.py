"""真实姓名 rules and the masking of names, ID numbers and phone numbers.

Names are NFC-normalised and trimmed. For the three Chinese document types a name is 1–50 Han
characters, optionally joined by the middle dot · (U+00B7; the look-alikes ・ • ． are turned into it),
never at either end and never doubled. For 护照（外国） a name is 1–50 Latin letters, spaces, dots,
hyphens and apostrophes, starting with a letter. Every character must be one that the platform can draw
in its pages and in the PDF form (services.rarechars.is_renderable); digits, symbols, markup, control and
zero-width characters and emoji are refused.

Masking (脱敏), applied wherever a name is shown to others or in the page chrome:
- Chinese names keep the first and the last character and star the rest: 张 → 张, 张三 → 张*,
  张三丰 → 张*丰, 欧阳锋锋 → 欧**锋; the middle dot is kept: 买买提·艾力 → 买****力.
- Latin names keep the first letter of each word: JOHN SMITH → J*** S****.
- ID numbers keep the first 3 and the last 4 characters; phone numbers the first 3 and the last 4.
"""
from __future__ import annotations

import re
import unicodedata

from models.accounts import IdType
from services.reference import rarechars

MAX_NAME = 50
MIDDLE_DOT = "\u00b7"
_DOT_LOOKALIKES = str.maketrans({"\u30fb": MIDDLE_DOT, "\u2022": MIDDLE_DOT, "\uff0e": MIDDLE_DOT, "\u2027": MIDDLE_DOT})
_LATIN_RE = re.compile(r"[A-Za-z][A-Za-z .'\-]*")


# CJK ideograph blocks by codepoint (Python's own Unicode tables lag behind: 3.11 knows no Ext H).
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF), (0x2A700, 0x2EE5F),
               (0x2F800, 0x2FA1F), (0x30000, 0x323AF))


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _HAN_RANGES)


def normalize_name(raw: str, id_type: str) -> str:
    name = unicodedata.normalize("NFC", raw or "").strip()
    if id_type == IdType.PASSPORT:
        return re.sub(r" {2,}", " ", name)
    return name.translate(_DOT_LOOKALIKES)


def name_error(name: str, id_type: str) -> str | None:
    """The message for a bad 真实姓名, or None. `name` is already normalised."""
    if not name:
        return "请输入真实姓名"
    if len(name) > MAX_NAME:
        return f"姓名不能超过{MAX_NAME}个字符"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "姓名中不能包含控制字符或不可见字符"
    if any(ch in "<>&\"" for ch in name):
        return "姓名中不能包含符号或标记"
    if id_type == IdType.PASSPORT:
        if not _LATIN_RE.fullmatch(name):
            return "护照姓名只能包含英文字母、空格和点（.）"
        return None
    for ch in name:
        if ch == MIDDLE_DOT:
            continue
        if ch.isdigit():
            return "姓名中不能包含数字"
        if not _is_han(ch):
            return f"姓名中不能包含“{ch}”：只能填写汉字，少数民族姓名可用“·”分隔"
        if not rarechars.is_renderable(ch):
            return f"“{ch}”（U+{ord(ch):04X}）暂无法显示和打印，请通过“生僻字”按钮选择，或联系帮助中心"
    if name[0] == MIDDLE_DOT or name[-1] == MIDDLE_DOT or MIDDLE_DOT * 2 in name:
        return "“·”只能用在两个汉字之间"
    return None


def mask_name(name: str) -> str:
    if not name:
        return ""
    if _LATIN_RE.fullmatch(name):
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "*" * len(phone)
