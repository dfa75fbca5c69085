"""信息采集 rules: one validation function per section, each returning the clean values and the errors.

Dates: 毕业时间 and 从事会计工作开始时间 are not in the future and not before the 14th birthday (when the
birth date is known from a mainland ID number); 学位授予时间 is not before the graduation of the matching
education (学士/双学士 → 大学本科, 硕士/博士 → 研究生). Text fields have length limits and refuse markup.
"""
from __future__ import annotations

import re
from datetime import date

from models.accounts import Account
from models.profiles import Education, Profile
from services.reference import regions
from services.reference import options as reference
from services.reference.regions import PROVINCES

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
MARKUP_RE = re.compile(r"[<>]")
DEGREE_EDUCATION = {"学士": "大学本科", "双学士": "大学本科", "硕士": "研究生", "博士": "研究生"}

# 证件照 for 信息采集 (the exam wizard adds automatic cropping): JPEG, 295×413 or larger, 10 KB – 2 MB.
PHOTO_MIN_BYTES = 10 * 1024


def text(form, name: str, label: str, max_len: int, *, required: bool = True) -> str:
    value = form.get(name)
    if not value:
        if required:
            form.error(name, f"请填写{label}")
        return ""
    if len(value) > max_len:
        form.error(name, f"{label}不能超过{max_len}个字")
    elif MARKUP_RE.search(value) or any(ord(ch) < 32 for ch in value):
        form.error(name, f"{label}中不能包含“<”“>”等标记或控制字符")
    return value


def choice(form, name: str, label: str, options) -> str:
    value = form.get(name)
    if value not in options:
        form.error(name, f"请选择{label}")
        return ""
    return value


def month_or_date(form, name: str, label: str, today: date, birth: date | None) -> date | None:
    """Accepts YYYY-MM-DD or YYYY-MM (the 1st of the month), as people remember graduation by month."""
    raw = form.get(name)
    if not raw:
        form.error(name, f"请填写{label}")
        return None
    try:
        value = date.fromisoformat(raw if len(raw) > 7 else raw + "-01")
    except ValueError:
        form.error(name, f"{label}格式不正确，请按“年-月-日”填写")
        return None
    if value > today:
        form.error(name, f"{label}不能晚于今天")
    elif birth is not None and value < fourteenth_birthday(birth):
        form.error(name, f"{label}不能早于出生日期满14周岁（{fourteenth_birthday(birth).isoformat()}）")
    elif value.year < 1930:
        form.error(name, f"{label}不正确")
    return value


def fourteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 14)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + 14, day=28)


def validate_basic(form, account: Account, today: date) -> dict:
    values = {
        "ethnicity": choice(form, "ethnicity", "民族", reference.ETHNIC_GROUPS),
        "political_status": choice(form, "political_status", "政治面貌", reference.POLITICAL_STATUS),
        "address": text(form, "address", "通讯地址", 100),
        "postcode": form.get("postcode"),
        "email": form.get("email"),
    }
    if account.birth_date is None:  # not a mainland ID number: 性别 and 出生日期 are entered
        values["gender"] = choice(form, "gender", "性别", ("男", "女"))
        raw = form.get("birth_date")
        try:
            values["birth_date"] = date.fromisoformat(raw)
            if not date(1900, 1, 1) <= values["birth_date"] <= today:
                form.error("birth_date", "出生日期不正确")
        except ValueError:
            form.error("birth_date", "请按“年-月-日”填写出生日期")
            values["birth_date"] = None
    if not re.fullmatch(r"\d{6}", values["postcode"]):
        form.error("postcode", "邮政编码应为6位数字")
    if not values["email"]:
        form.error("email", "请填写电子邮箱")
    elif len(values["email"]) > 100 or not EMAIL_RE.fullmatch(values["email"]):
        form.error("email", "电子邮箱格式不正确，例如 name@example.com")
    return values


def validate_education(form, today: date, birth: date | None) -> dict:
    return {
        "level": choice(form, "level", "学历", reference.EDUCATION_LEVELS),
        "school": text(form, "school", "毕业院校", 60),
        "major": text(form, "major", "所学专业", 60),
        "graduated_on": month_or_date(form, "graduated_on", "毕业时间", today, birth),
        "certificate_no": text(form, "certificate_no", "学历证书编号", 40),
    }


def validate_degree(form, today: date, birth: date | None, educations: list[Education]) -> dict:
    degree = choice(form, "degree", "学位", reference.DEGREES)
    values = {"degree": degree, "degree_org": None, "degree_date": None}
    if degree and degree != "无":
        values["degree_org"] = text(form, "degree_org", "授予单位", 60)
        values["degree_date"] = month_or_date(form, "degree_date", "授予时间", today, birth)
        matching = [e for e in educations if e.level == DEGREE_EDUCATION[degree]]
        if values["degree_date"] and matching and "degree_date" not in form.errors:
            earliest = min(e.graduated_on for e in matching)
            if values["degree_date"] < earliest:
                form.error("degree_date", f"授予时间不能早于{DEGREE_EDUCATION[degree]}毕业时间（{earliest.isoformat()}）")
    return values


def validate_work(form, today: date, birth: date | None) -> dict:
    no_employer = form.get("no_employer") == "1"
    values = {"no_employer": no_employer, "employer": None, "employer_province": None, "employer_city": None,
              "position": None}
    if not no_employer:
        values["employer"] = text(form, "employer", "工作单位", 100)
        province, city = form.get("employer_province"), form.get("employer_city")
        if province not in PROVINCES:
            form.error("employer_province", "请选择单位所在省份")
        elif not regions.is_city(province, city):
            form.error("employer_city", "请选择单位所在城市")
        values.update(employer_province=province, employer_city=city)
        values["position"] = text(form, "position", "职务", 30, required=False) or None
    start = form.get("accounting_start")
    # 从事会计工作开始时间 is optional: a person may not have started yet.
    values["accounting_start"] = month_or_date(form, "accounting_start", "从事会计工作开始时间", today, birth) if start else None
    return values


def birth_date_of(account: Account, profile: Profile | None) -> date | None:
    return account.birth_date or (profile.birth_date if profile else None)


def sections(profile: Profile | None, educations: list[Education]) -> list[dict]:
    """The task list: each section with its status (已完成 / 未完成)."""
    p = profile
    return [
        {"id": "basic", "label": "基本信息", "done": bool(p and p.basic_saved and p.photo)},
        {"id": "education", "label": "学历信息", "done": bool(educations)},
        {"id": "degree", "label": "学位信息", "done": bool(p and p.degree)},
        {"id": "work", "label": "工作信息", "done": bool(p and p.work_saved)},
    ]


async def get_profile(account: Account) -> Profile:
    profile = await Profile.get_or_none(account_id=account.id)
    if profile is None:
        profile, _ = await Profile.get_or_create(account_id=account.id)
    return profile


async def save_section(account: Account, values: dict) -> None:
    """Save one section; any change after confirmation needs a new confirmation."""
    await get_profile(account)
    await Profile.filter(account_id=account.id).update(**values, confirmed_at=None)
