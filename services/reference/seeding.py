"""Exam data from TOML files (`python -m cli seed FILE`); idempotent: seeding twice changes nothing.

Times are "YYYY-MM-DD HH:MM" in China time, or relative to the day of seeding, "today+30d 09:00" /
"today-3d 18:00" (the demo file uses these so the demo works on any day). See README, "Exam data".
"""
from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from services.clock import CN
from models.exams import Announcement, Exam, ExamCity, ExamProvince, Site
from services.reference import regions
from services.registration import eligibility, photos
from services.reference.exams import ReferenceData
from services.reference.regions import PROVINCES

LEVELS = {"初级": ["初级会计实务", "经济法基础"], "中级": ["中级会计实务", "财务管理", "经济法"], "高级": ["高级会计实务"]}
_REL = re.compile(r"today([+-]\d+)d\s+(\d{1,2}):(\d{2})")


class SeedError(ValueError):
    pass


def parse_time(value, today: date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=CN)
    text = str(value).strip()
    if m := _REL.fullmatch(text):
        day = today + timedelta(days=int(m.group(1)))
        return datetime.combine(day, time(int(m.group(2)), int(m.group(3))), CN)
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CN)
    except ValueError:
        raise SeedError(f"时间格式不正确：{text!r}（应为 YYYY-MM-DD HH:MM 或 today+Nd HH:MM）") from None


def fen(value, where: str) -> int:
    """Yuan (as in the file) to integer fen, refusing more than 2 decimals."""
    cents = round(float(value) * 100)
    if abs(float(value) * 100 - cents) > 1e-6 or cents < 0:
        raise SeedError(f"{where}: 金额 {value!r} 不正确（元，最多两位小数）")
    return cents


def parse_date(value, today: date) -> date:
    text = str(value).strip()
    if m := re.fullmatch(r"today([+-]\d+)d", text):
        return today + timedelta(days=int(m.group(1)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SeedError(f"日期格式不正确：{text!r}（应为 YYYY-MM-DD 或 today+Nd）") from None


def _province_details(p: dict, level: str, today: date, where: str) -> dict:
    review = p.get("review", "manual")
    if review not in ("manual", "commitment"):
        raise SeedError(f"{where}: review 只能是 manual（网上人工审核）或 commitment（告知承诺）")
    conditions = list(p.get("conditions") or [])
    for code in conditions:
        if eligibility.CONDITIONS.get(code, (None,))[0] != level:
            raise SeedError(f"{where}: 报考条件 {code} 不是{level}的条件")
    fee = p.get("fee") or {}
    if p.get("photo"):
        try:  # a bad photo table must fail here, not at a candidate's upload
            photos.PhotoRules.from_province(p["photo"])
        except (TypeError, ValueError) as e:
            raise SeedError(f"{where}: photo 照片要求不正确（{e}）") from None
    cities, announcements, materials = [], [], []
    for c in p.get("city") or []:
        if not regions.is_city(p["code"], str(c.get("code"))):
            raise SeedError(f"{where}: 地市代码 {c.get('code')} 不属于该省")
        sites = [{"name": x["name"], "address": x.get("address", ""), "capacity": int(x["capacity"])}
                 for x in c.get("site") or []]
        cities.append({"code": str(c["code"]), "name": c.get("name") or regions.city_name(p["code"], str(c["code"])),
                       "sites": sites})
    for i, a in enumerate(p.get("announcement") or []):
        if a.get("scope") not in ("省", "市"):
            raise SeedError(f"{where}: 通知公告的 scope 只能是 省 或 市")
        announcements.append({"position": i, "scope": a["scope"], "title": a["title"], "publisher": a["publisher"],
                              "published_on": parse_date(a["date"], today), "body": a["body"]})
    for m in p.get("material") or []:
        bad = set(m.get("types") or []) - {"jpg", "png", "pdf"}
        if bad or not m.get("types"):
            raise SeedError(f"{where}: 证明材料 {m.get('name')} 的 types 只能是 jpg、png、pdf")
        materials.append({"name": m["name"], "required": bool(m.get("required", False)),
                          "conditions": list(m.get("conditions") or []), "types": list(m["types"])})
    return {
        "details": {
            "review_mode": review, "department": p.get("department", ""), "tips": p.get("tips", ""),
            "notice": p.get("notice", ""), "must_read": p.get("must_read", ""),
            "fee_per_person_fen": fen(fee.get("per_person", 0), where),
            "fee_per_subject_fen": fen(fee.get("per_subject", 0), where),
            "platforms": list(p.get("platforms") or []), "conditions": conditions, "materials": materials,
            "photo_rules": p.get("photo"), "admission_ticket": p.get("admission_ticket", ""),
            "reject_reasons": _reasons(p.get("reject_reasons"), where),
            "photo_check": _flag(p.get("photo_check", False), "photo_check", where),
        },
        "cities": cities,
        "announcements": announcements,
    }


# The reviewers' 不通过 reason templates where a province lists none of its own.
DEFAULT_REJECT_REASONS = ["照片不符合要求", "证明材料不清晰", "不符合报考条件", "学历信息与证明材料不一致",
                          "工作单位信息不完整"]


def _reasons(value, where: str) -> list[str]:
    if value is None:
        return list(DEFAULT_REJECT_REASONS)
    if not isinstance(value, list) or not all(isinstance(r, str) and r.strip() for r in value):
        raise SeedError(f"{where}: reject_reasons 应为不通过原因（文字）的列表")
    return [r.strip()[:200] for r in value]


def _flag(value, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise SeedError(f"{where}: {key} 只能是 true 或 false")
    return value


def _window(p: dict, key: str, today: date, where: str) -> tuple[datetime, datetime]:
    try:
        w = p[key]
        start, end = parse_time(w["start"], today), parse_time(w["end"], today)
    except KeyError as e:
        raise SeedError(f"{where}: 缺少 {key}.{e.args[0]}") from None
    if end <= start:
        raise SeedError(f"{where}: {key} 的结束时间必须晚于开始时间")
    return start, end


def load_file(path: Path, today: date) -> list[dict]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    exams = data.get("exam") or []
    if not exams:
        raise SeedError(f"{path}: 没有 [[exam]]")
    out = []
    for e in exams:
        where = f"exam {e.get('code', '?')}"
        for key in ("code", "year", "name", "level"):
            if key not in e:
                raise SeedError(f"{where}: 缺少 {key}")
        if e["level"] not in LEVELS:
            raise SeedError(f"{where}: 级别必须是 初级、中级 或 高级")
        subjects = e.get("subjects") or LEVELS[e["level"]]
        if not set(subjects) <= set(LEVELS[e["level"]]):
            raise SeedError(f"{where}: 科目与级别不符")
        provinces = []
        for p in e.get("province") or []:
            pw = f"{where} province {p.get('code', '?')}"
            if p.get("code") not in PROVINCES:
                raise SeedError(f"{pw}: 未知的省份代码")
            reg, pay = _window(p, "registration", today, pw), _window(p, "payment", today, pw)
            extra = _province_details(p, e["level"], today, pw)
            provinces.append({"province_code": p["code"], "reg_start": reg[0], "reg_end": reg[1], "pay_start": pay[0],
                              "pay_end": pay[1], "phones": list(p.get("phones") or []), "website": p.get("website", ""),
                              **extra["details"], "_cities": extra["cities"], "_announcements": extra["announcements"]})
        out.append({"code": e["code"], "year": int(e["year"]), "name": e["name"], "level": e["level"],
                    "subjects": list(subjects), "max_subjects": int(e.get("max_subjects", len(subjects))),
                    "provinces": provinces})
    return out


async def _upsert(model, key: dict, values: dict):
    """Create the row, or update only what differs. Returns (row, created, changed)."""
    values = {k: v for k, v in values.items() if k not in key}
    row = await model.get_or_none(**key)
    if row is None:
        return await model.create(**key, **values), True, False
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        await model.filter(id=row.id).update(**changed)
        for k, v in changed.items():
            setattr(row, k, v)
    return row, False, bool(changed)


async def seed(path: Path, today: date, cache: ReferenceData | None = None) -> dict[str, int]:
    """Create or update every exam of the file. Returns counts of created / updated / unchanged rows.
    `cache`: this process's reference data, cleared at once (other processes see the new rows
    within their own cache's max_age)."""
    exams = load_file(path, today)
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def bump(obj_created: bool, changed: bool):
        counts["created" if obj_created else "updated" if changed else "unchanged"] += 1

    async with in_transaction():
        for e in exams:
            provinces = e.pop("provinces")
            exam, created, changed = await _upsert(Exam, {"code": e["code"]}, e)
            bump(created, changed)
            for p in provinces:
                cities, announcements = p.pop("_cities"), p.pop("_announcements")
                row, created, changed = await _upsert(ExamProvince, {"exam_id": exam.id, "province_code": p["province_code"]}, p)
                bump(created, changed)
                for a in announcements:
                    bump(*(await _upsert(Announcement, {"exam_province_id": row.id, "position": a["position"]}, a))[1:])
                for c in cities:
                    sites = c.pop("sites")
                    city, created, changed = await _upsert(ExamCity, {"exam_province_id": row.id, "code": c["code"]}, c)
                    bump(created, changed)
                    for site in sites:
                        bump(*(await _upsert(Site, {"city_id": city.id, "name": site["name"]}, site))[1:])
    if cache is not None:
        cache.clear()
    return counts
