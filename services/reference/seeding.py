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
from models.arrangement import Seat
from models.exams import Announcement, Exam, ExamCity, ExamProvince, ExamSession, Room, Site
from services.reference import regions
from services.registration import eligibility, photos
from services.reference.exams import ReferenceData
from services.reference.regions import PROVINCES

LEVELS = {"初级": ["初级会计实务", "经济法基础"], "中级": ["中级会计实务", "财务管理", "经济法"], "高级": ["高级会计实务"]}
_REL = re.compile(r"today([+-]\d+)d\s+(\d{1,2}):(\d{2})")
_HEADER = re.compile(r"\s*\[\[\s*([A-Za-z0-9_.]+)\s*\]\]")
MAX_ROOM, MAX_SEATS = 999, 99  # 考场号 and 座位号 are 3 and 2 digits of the 准考证号
MAX_SITES = 99  # 报名点 of a city: its position is 2 digits of the 准考证号


class Lines:
    """Where a table of the file begins, for refusals that name the line: the n-th `[[path]]` header, counted in
    the order tomllib lists the tables (document order), and a key's line inside it."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {}
        self.starts: list[int] = []
        for i, line in enumerate(self.lines, 1):
            if line.lstrip().startswith("["):
                self.starts.append(i)
            if m := _HEADER.match(line):
                self.headers.setdefault(m.group(1), []).append(i)
        self.seen: dict[str, int] = {}

    def next(self, path: str) -> int:
        """The line of the next `[[path]]` table (0 when the table was written inline)."""
        n = self.seen.get(path, 0)
        self.seen[path] = n + 1
        found = self.headers.get(path, [])
        return found[n] if n < len(found) else 0

    def key(self, table_line: int, key: str) -> int:
        """The line of `key = ...` inside the table beginning at `table_line` (the table's line if not found)."""
        end = next((s for s in self.starts if s > table_line), len(self.lines) + 1)
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        return next((i for i in range(table_line + 1, end) if pattern.match(self.lines[i - 1])), table_line)


def at(line: int) -> str:
    return f"第 {line} 行" if line else "（行号未知）"


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


def _clock(value, where: str) -> time:
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise SeedError(f"{where}: 时间 {value!r} 格式不正确（应为 HH:MM）") from None


def _sessions(e: dict, subjects: list[str], today: date, lines: Lines, where: str) -> list[dict]:
    """考试场次: every one on a date of the exam year, of the exam's own subjects; each 批次 covers every subject once."""
    out, batches = [], {}
    for i, s in enumerate(e.get("session") or [], 1):
        line = lines.next("exam.session")
        sw = f"{at(line)} {where} 场次 {i}"
        for key in ("date", "start", "end", "subjects"):
            if key not in s:
                raise SeedError(f"{sw}: 缺少 {key}")
        day = s["date"] if isinstance(s["date"], date) else parse_date(s["date"], today)
        if day.year != int(e["year"]):
            raise SeedError(f"{at(lines.key(line, 'date'))} {where} 场次 {i}: 日期 {day} 不在考试年度 {e['year']} 年内")
        start, end = _clock(s["start"], sw), _clock(s["end"], sw)
        if end <= start:
            raise SeedError(f"{at(lines.key(line, 'end'))} {where} 场次 {i}: 结束时间必须晚于开始时间")
        names = s["subjects"]
        if not isinstance(names, list) or not names:
            raise SeedError(f"{at(lines.key(line, 'subjects'))} {where} 场次 {i}: subjects 应为科目的列表")
        batch = s.get("batch", 1)
        if not isinstance(batch, int) or batch < 1:
            raise SeedError(f"{at(lines.key(line, 'batch'))} {where} 场次 {i}: batch（批次）应为正整数")
        for name in names:
            sl = at(lines.key(line, "subjects"))
            if name not in LEVELS[e["level"]]:
                raise SeedError(f"{sl} {where} 场次 {i}: 科目 {name} 不是{e['level']}的科目")
            if name not in subjects:
                raise SeedError(f"{sl} {where} 场次 {i}: 科目 {name} 不是本考试的科目")
            if name in batches.setdefault(batch, set()):
                raise SeedError(f"{sl} {where} 场次 {i}: 科目 {name} 在第 {batch} 批次中已有场次")
            batches[batch].add(name)
        out.append({"number": i, "batch": batch, "starts_at": datetime.combine(day, start, CN),
                    "ends_at": datetime.combine(day, end, CN), "subjects": list(names)})
    for batch, names in sorted(batches.items()):
        if missing := [n for n in subjects if n not in names]:
            raise SeedError(f"{where}: 第 {batch} 批次缺少科目 {'、'.join(missing)} 的场次")
    return out


def _seats(value, line: int, what: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SEATS:
        raise SeedError(f"{at(line)} {where}: {what}应为 1 至 {MAX_SEATS} 的整数（现为 {value!r}）")
    return value


def _rooms(x: dict, line: int, lines: Lines, where: str) -> list[dict]:
    """考场 of one 报名点: `rooms = N` (考场 1..N of `room_seats` seats each) and/or [[...room]] tables."""
    default = x.get("room_seats")
    if default is not None:
        default = _seats(default, lines.key(line, "room_seats"), "room_seats（考场默认座位数）", where)
    rooms: dict[int, dict] = {}

    def add(number, seats, room_line):
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_ROOM:
            raise SeedError(f"{at(room_line)} {where}: 考场号应为 1 至 {MAX_ROOM} 的整数（现为 {number!r}）")
        if number in rooms:
            raise SeedError(f"{at(room_line)} {where}: 考场号 {number} 重复")
        if seats is None:
            if default is None:
                raise SeedError(f"{at(room_line)} {where}: 考场 {number} 缺少 seats（或报名点的 room_seats）")
            seats = default
        rooms[number] = {"number": number, "seats": _seats(seats, room_line, f"考场 {number} 的座位数", where)}

    count = x.get("rooms", 0)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_ROOM:
        raise SeedError(f"{at(lines.key(line, 'rooms'))} {where}: rooms（考场数）应为 0 至 {MAX_ROOM} 的整数")
    for n in range(1, count + 1):
        add(n, None, lines.key(line, "rooms"))
    for r in x.get("room") or []:
        room_line = lines.next("exam.province.city.site.room")
        add(r.get("number"), r.get("seats"), lines.key(room_line, "seats") if "seats" in r else room_line)
    return list(rooms.values())


def _province_details(p: dict, level: str, today: date, where: str, lines: Lines) -> dict:
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
        city_line = lines.next("exam.province.city")
        if len(c.get("site") or []) > MAX_SITES:
            raise SeedError(f"{at(city_line)} {where} 地市 {c['code']}: 报名点最多 {MAX_SITES} 个（准考证号中占两位）")
        sites = []
        for x in c.get("site") or []:
            line = lines.next("exam.province.city.site")
            sw = f"{where} 报名点 {x.get('name', '?')}"
            sites.append({"name": x["name"], "address": x.get("address", ""), "capacity": int(x["capacity"]),
                          "venue": x.get("venue", x["name"]),
                          "venue_address": x.get("venue_address", x.get("address", "")),
                          "_rooms": _rooms(x, line, lines, sw)})
        cities.append({"code": str(c["code"]), "name": c.get("name") or regions.city_name(p["code"], str(c["code"])),
                       "sites": sites})
    ticket = _window(p, "ticket_window", today, where) if "ticket_window" in p else (None, None)
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
            "ticket_start": ticket[0], "ticket_end": ticket[1], "exam_notice": p.get("exam_notice", ""),
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


def _exam(e: dict, today: date, lines: Lines) -> dict:
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
    sessions = _sessions(e, list(subjects), today, lines, where)
    for p in e.get("province") or []:
        pw = f"{where} province {p.get('code', '?')}"
        province_line = lines.next("exam.province")
        try:
            if p.get("code") not in PROVINCES:
                raise SeedError(f"{pw}: 未知的省份代码")
            reg, pay = _window(p, "registration", today, pw), _window(p, "payment", today, pw)
            extra = _province_details(p, e["level"], today, pw, lines)
        except SeedError as err:
            raise err if str(err).startswith("第 ") else SeedError(f"{at(province_line)} {err}") from None
        provinces.append({"province_code": p["code"], "reg_start": reg[0], "reg_end": reg[1], "pay_start": pay[0],
                          "pay_end": pay[1], "phones": list(p.get("phones") or []), "website": p.get("website", ""),
                          **extra["details"], "_cities": extra["cities"], "_announcements": extra["announcements"]})
    return {"code": e["code"], "year": int(e["year"]), "name": e["name"], "level": e["level"],
            "subjects": list(subjects), "max_subjects": int(e.get("max_subjects", len(subjects))),
            "provinces": provinces, "sessions": sessions}


def load_file(path: Path, today: date) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SeedError(f"{path}: TOML 格式错误（{e}）") from None
    lines = Lines(text)
    exams = data.get("exam") or []
    if not exams:
        raise SeedError(f"{path}: 没有 [[exam]]")
    out = []
    for e in exams:
        exam_line = lines.next("exam")
        try:
            out.append(_exam(e, today, lines))
        except SeedError as err:  # a refusal without a line of its own is placed at its [[exam]] table
            raise err if str(err).startswith("第 ") else SeedError(f"{at(exam_line)} {err}") from None
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


async def _rooms_of(site: Site, rooms: list[dict], bump) -> None:
    """The site's 考场 as the file lists them, in one read and one insert: a room kept out of the file stays (its
    seats may be taken); a room may not shrink below a seat already given (the whole seeding is rolled back)."""
    have = {r.number: r for r in await Room.filter(site_id=site.id)}
    new = []
    for room in rooms:
        row = have.get(room["number"])
        if row is None:
            new.append(Room(site_id=site.id, **room))
            bump(True, False)
            continue
        if row.seats != room["seats"]:
            if await Seat.filter(room_id=row.id, seat__gt=room["seats"]).exists():
                raise SeedError(f"报名点 {site.name} 考场 {room['number']}: 已有考生的座位号大于 {room['seats']}，"
                                "不能减少座位数")
            await Room.filter(id=row.id).update(seats=room["seats"])
        bump(False, row.seats != room["seats"])
    if new:
        await Room.bulk_create(new)


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
            provinces, sessions = e.pop("provinces"), e.pop("sessions")
            exam, created, changed = await _upsert(Exam, {"code": e["code"]}, e)
            bump(created, changed)
            for s in sessions:
                bump(*(await _upsert(ExamSession, {"exam_id": exam.id, "number": s["number"]}, s))[1:])
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
                        rooms = site.pop("_rooms")
                        row_site, created, changed = await _upsert(Site, {"city_id": city.id, "name": site["name"]},
                                                                   site)
                        bump(created, changed)
                        await _rooms_of(row_site, rooms, bump)
    if cache is not None:
        cache.clear()
    return counts
