"""Exam data from TOML files (`python -m cli seed FILE`); idempotent: seeding twice changes nothing.

Times are "YYYY-MM-DD HH:MM" in China time, or relative to the day of seeding, "today+30d 09:00" /
"today-3d 18:00" (the demo file uses these so the demo works on any day). See README, "Exam data".
"""
from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from tortoise.transactions import in_transaction

from models.exams import Exam, ExamProvince
from services.regions import PROVINCES

CN = timezone(timedelta(hours=8))
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
            provinces.append({"province_code": p["code"], "reg_start": reg[0], "reg_end": reg[1], "pay_start": pay[0],
                              "pay_end": pay[1], "phones": list(p.get("phones") or []), "website": p.get("website", "")})
        out.append({"code": e["code"], "year": int(e["year"]), "name": e["name"], "level": e["level"],
                    "subjects": list(subjects), "max_subjects": int(e.get("max_subjects", len(subjects))),
                    "provinces": provinces})
    return out


async def seed(path: Path, today: date) -> dict[str, int]:
    """Create or update every exam of the file. Returns counts of created / updated / unchanged rows."""
    exams = load_file(path, today)
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def bump(obj_created: bool, changed: bool):
        counts["created" if obj_created else "updated" if changed else "unchanged"] += 1

    async with in_transaction():
        for e in exams:
            provinces = e.pop("provinces")
            exam = await Exam.get_or_none(code=e["code"])
            if exam is None:
                exam = await Exam.create(**e)
                bump(True, False)
            else:
                changed = {k: v for k, v in e.items() if getattr(exam, k) != v}
                if changed:
                    await Exam.filter(id=exam.id).update(**changed)
                bump(False, bool(changed))
            for p in provinces:
                row = await ExamProvince.get_or_none(exam_id=exam.id, province_code=p["province_code"])
                if row is None:
                    await ExamProvince.create(exam_id=exam.id, **p)
                    bump(True, False)
                else:
                    changed = {k: v for k, v in p.items() if getattr(row, k) != v}
                    if changed:
                        await ExamProvince.filter(id=row.id).update(**changed)
                    bump(False, bool(changed))
    return counts
