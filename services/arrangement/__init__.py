"""考场编排 of one exam in one province: every paid application gets one 准考证号 and, for each session of its
subjects, a room and a seat at its own 报名点 (models/arrangement.py has the rows and the 准考证号 format).

- `preview(ep, now)`: per 报名点 and 场次, the candidates to seat and the seats there, every shortage named.
- `arrange(ep, actor, now, force=False)`: the arrangement. Refused while 缴费 is open unless forced (the office
  confirms it: candidates paying later need another run), refused with the shortages' messages when a site has
  too few seats for a session, and refused for an exam without 考试场次.

Rules:
- A seat once given never moves: a run seats only the paid applications that lack a seat of theirs, into the
  free seats (gaps left by freed places included). Seats and 准考证号 of an application no longer paid are freed.
- Order inside a site: the applications to seat (by id) shuffled by `random.Random(seed)`, the run's recorded
  seed (Arrangement.seed), then given the free seats in (考场号, 座位号) order, session by session. Sites in
  id order. The same seed over the same rows gives the same seats (`plan()` is a pure function of both).
- 批次: a candidate sits every subject in one batch. One already seated keeps their batch; a new one takes the
  batch whose sessions of their subjects are least full at their site (the lowest batch on a tie).
- Two offices pressing at once give one arrangement: the run takes the ExamProvince row's lock
  (db.transactions.lock) before it reads, so the second waits, then finds everyone seated; the unique
  (session, room, seat), (application, session), application and (exam, 准考证号) keys stand behind it.
  Lock order: this transaction locks only that row and writes only admission, seat and arrangement rows.
"""
from __future__ import annotations

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from db import transactions
from models.applications import Application, Status
from models.arrangement import Admission, Arrangement, Seat
from models.exams import Exam, ExamCity, ExamProvince, ExamSession, Room, Site
from services import clock

LEVEL_DIGIT = {"初级": "1", "中级": "2", "高级": "3"}


def session_label(s: ExamSession) -> str:
    """第1场 2027-05-15 08:30-11:50 (初级会计实务、经济法基础)"""
    batch = f"第{s.batch}批次 " if s.batch != 1 else ""
    return (f"{batch}第{s.number}场 {clock.local(s.starts_at, '%Y-%m-%d %H:%M')}-{clock.local(s.ends_at, '%H:%M')}"
            f"（{'、'.join(s.subjects)}）")


def admission_number(exam: Exam, province_code: str, city_code: str, site_position: int, session_number: int,
                     room_number: int, seat: int) -> str:
    """The 准考证号 (format: models/arrangement.py)."""
    return (f"{exam.year:04d}{LEVEL_DIGIT[exam.level]}{province_code:0>2}{city_code[2:6]:0>4}{site_position:02d}"
            f"{session_number:02d}{room_number:03d}{seat:02d}")


@dataclass
class Load:
    """One line of the preview: a 报名点 and a 场次."""
    site_id: int
    site_name: str
    city_name: str
    session_id: int
    session: str  # session_label
    seats: int  # seats of the site's rooms (every room serves every session)
    seated: int = 0  # seated before this run
    to_seat: int = 0  # to seat by this run (those who would find no seat included)

    @property
    def need(self) -> int:
        return self.seated + self.to_seat

    @property
    def short(self) -> int:
        return max(0, self.need - self.seats)


@dataclass
class Plan:
    """What a run would do (nothing written): the preview, and the rows the arrangement writes."""
    ep: ExamProvince
    exam: Exam
    seed: int
    sessions: list[ExamSession]
    loads: list[Load] = field(default_factory=list)
    paid: int = 0  # paid applications of the province
    admitted: int = 0  # of them, with a 准考证号 before this run
    new_seats: list[Seat] = field(default_factory=list)
    new_admissions: list[Admission] = field(default_factory=list)
    freed_seats: list[int] = field(default_factory=list)  # seat ids of applications no longer paid
    freed_admissions: list[int] = field(default_factory=list)  # their application ids

    @property
    def shortages(self) -> list[str]:
        return [f"{x.city_name} {x.site_name} {x.session}：缺 {x.short} 个座位（需 {x.need}，有 {x.seats}）"
                for x in self.loads if x.short]

    @property
    def to_seat(self) -> int:
        """Applications this run would give a seat or a 准考证号."""
        return len({s.application_id for s in self.new_seats} | {a.application_id for a in self.new_admissions})

    @property
    def nothing_to_do(self) -> bool:
        return not (self.new_seats or self.new_admissions or self.freed_seats or self.freed_admissions)

    def pay_open(self, now: datetime) -> bool:
        return now < self.ep.pay_end


def _free_seats(rooms: list[dict], taken: set[tuple[int, int]]):
    for r in rooms:
        for n in range(1, r["seats"] + 1):
            if (r["id"], n) not in taken:
                yield r, n


async def plan(ep: ExamProvince, seed: int) -> Plan:
    """Read the province's sites, rooms, paid applications and seats, and plan a run with `seed`."""
    exam = await Exam.get(id=ep.exam_id)
    sessions = await ExamSession.filter(exam_id=exam.id).order_by("number")
    out = Plan(ep=ep, exam=exam, seed=seed, sessions=sessions)
    cities = {c.id: c for c in await ExamCity.filter(exam_province_id=ep.id)}
    sites = await Site.filter(city_id__in=list(cities) or [0]).order_by("city_id", "id")
    rooms: dict[int, list[dict]] = defaultdict(list)
    for r in await Room.filter(site_id__in=[s.id for s in sites] or [0]).order_by("number").values(
            "id", "site_id", "number", "seats"):
        rooms[r["site_id"]].append(r)
    room_of = {r["id"]: r for rs in rooms.values() for r in rs}
    paid: dict[int, list[tuple[int, set[str]]]] = defaultdict(list)
    for app_id, site_id, subjects in await Application.filter(province_id=ep.id, status=Status.PAID).order_by(
            "id").values_list("id", "site_id", "subjects"):
        paid[site_id].append((app_id, set(subjects or [])))
    paid_ids = {a for apps in paid.values() for a, _ in apps}
    out.paid = len(paid_ids)
    admitted = set()
    for app_id in await Admission.filter(exam_province_id=ep.id).values_list("application_id", flat=True):
        (admitted.add if app_id in paid_ids else out.freed_admissions.append)(app_id)
    out.admitted = len(admitted)
    held: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)  # application → session → (room, seat)
    taken: dict[int, set[tuple[int, int]]] = defaultdict(set)  # session → (room, seat)
    if room_of:
        for seat_id, app_id, session_id, room_id, n in await Seat.filter(room_id__in=list(room_of)).values_list(
                "id", "application_id", "session_id", "room_id", "seat"):
            if app_id not in paid_ids:
                out.freed_seats.append(seat_id)
                continue
            held[app_id][session_id] = (room_id, n)
            taken[session_id].add((room_id, n))
    by_id = {s.id: s for s in sessions}
    batches: dict[int, list[ExamSession]] = defaultdict(list)
    for s in sessions:
        batches[s.batch].append(s)
    rng = random.Random(seed)
    position = defaultdict(int)
    for site in sites:
        position[site.city_id] += 1
        city = cities[site.city_id]
        site_rooms = rooms.get(site.id, [])
        total = sum(r["seats"] for r in site_rooms)
        loads = {s.id: Load(site.id, site.name, city.name, s.id, session_label(s), total) for s in sessions}
        for app_id, _ in paid.get(site.id, []):
            for session_id in held.get(app_id, {}):
                if session_id in loads:
                    loads[session_id].seated += 1
        order = [(a, subjects) for a, subjects in paid.get(site.id, [])
                 if a not in admitted or any(s.id not in held.get(a, {})
                                             for s in _needed(batches, held.get(a), by_id, subjects, None))]
        if not order or not sessions:
            out.loads.extend(x for x in loads.values() if x.need)
            continue
        rng.shuffle(order)
        free = {s.id: _free_seats(site_rooms, taken[s.id]) for s in sessions}
        for app_id, subjects in order:
            mine = held.get(app_id, {})
            needed = _needed(batches, mine, by_id, subjects, loads)
            seated_all = True
            for s in needed:
                if s.id in mine:
                    continue
                loads[s.id].to_seat += 1
                spot = next(free[s.id], None)
                if spot is None:
                    seated_all = False
                    continue
                room, n = spot
                mine = {**mine, s.id: (room["id"], n)}
                out.new_seats.append(Seat(application_id=app_id, session_id=s.id, room_id=room["id"], seat=n))
            if seated_all and app_id not in admitted and needed:
                first = needed[0]
                room_id, n = mine[first.id]
                out.new_admissions.append(Admission(
                    application_id=app_id, exam_id=exam.id, exam_province_id=ep.id,
                    number=admission_number(exam, ep.province_code, city.code, position[site.city_id], first.number,
                                            room_of[room_id]["number"], n)))
        out.loads.extend(x for x in loads.values() if x.need)
    return out


def _needed(batches: dict[int, list[ExamSession]], mine: dict | None, by_id: dict[int, ExamSession],
            subjects: set[str], loads: dict[int, Load] | None) -> list[ExamSession]:
    """The sessions an application sits, in order: those of its subjects in its batch (the batch of a seat it
    holds; else, with `loads`, the least full batch for its subjects; without, the first)."""
    if not batches:
        return []
    held = [by_id[s] for s in (mine or {}) if s in by_id]
    if held:
        batch = held[0].batch
    elif loads is None or len(batches) == 1:
        batch = min(batches)
    else:
        def fullness(b):
            mine_ = [s for s in batches[b] if set(s.subjects) & subjects]
            return max((loads[s.id].need / max(1, loads[s.id].seats) for s in mine_), default=0), b
        batch = min(batches, key=fullness)
    return [s for s in batches[batch] if set(s.subjects) & subjects]


async def preview(ep: ExamProvince) -> Plan:
    return await plan(ep, seed=0)


@dataclass
class Outcome:
    ok: bool
    message: str
    plan: Plan | None = None
    arrangement: Arrangement | None = None
    reason: str = ""  # why refused: "no_sessions", "pay_open", "shortage"


def pay_open_message(ep: ExamProvince) -> str:
    return (f"缴费尚未结束（缴费截止 {clock.local(ep.pay_end)}）：此时编排，截止前缴费的考生需再次编排才有座位。"
            "确需提前编排，请勾选“确认在缴费结束前编排”后再提交。")


async def arrange(ep: ExamProvince, actor: str, now: datetime, force: bool = False,
                  seed: int | None = None) -> Outcome:
    """Run 考场编排 for one province of one exam (see the module's rules). `seed`: for a reproduction only;
    by default a new random one, recorded in the Arrangement row."""
    if not await ExamSession.filter(exam_id=ep.exam_id).exists():
        return Outcome(False, "本考试尚未设置考试场次，无法编排。", reason="no_sessions")
    if now < ep.pay_end and not force:
        return Outcome(False, pay_open_message(ep), reason="pay_open")
    seed = secrets.randbits(62) if seed is None else seed

    async def work() -> Outcome:
        await transactions.lock(ExamProvince, id=ep.id)  # a second office waits here, then finds nothing to do
        p = await plan(ep, seed)
        if p.shortages:
            return Outcome(False, "座位不足，无法编排：" + "；".join(p.shortages), plan=p, reason="shortage")
        if p.nothing_to_do:
            return Outcome(True, f"无需编排：{p.paid} 名已缴费考生均已编排。", plan=p)
        if p.freed_seats:
            await Seat.filter(id__in=p.freed_seats).delete()
        if p.freed_admissions:
            await Admission.filter(application_id__in=p.freed_admissions).delete()
        run = None
        if p.new_seats or p.new_admissions:
            run = await Arrangement.create(exam_province_id=ep.id, seed=seed, forced=now < ep.pay_end, actor=actor,
                                           at=now, admitted=len(p.new_admissions), seated=len(p.new_seats))
            for row in (*p.new_seats, *p.new_admissions):
                row.arrangement_id = run.id
            await Seat.bulk_create(p.new_seats, batch_size=1000)
            await Admission.bulk_create(p.new_admissions, batch_size=1000)
        freed = f"，释放 {len(p.freed_seats)} 个座位" if p.freed_seats else ""
        return Outcome(True, f"编排完成：新编排 {p.to_seat} 名考生（{len(p.new_seats)} 个座位，"
                             f"{len(p.new_admissions)} 个准考证号）{freed}；已缴费考生共 {p.paid} 名。", plan=p,
                       arrangement=run)

    return await transactions.atomic(work)


NOTHING_TO_DO = "无需编排：已缴费考生均已编排。"


def run_message(run: Arrangement) -> str:
    forced = "（缴费结束前提前编排）" if run.forced else ""
    return (f"编排完成{forced}：{clock.local(run.at)} {run.actor} 新编排 {run.admitted} 个准考证号、{run.seated} 个座位"
            f"（随机种子 {run.seed}）。")


async def run_of(exam_province_id: int, run_id: int | None) -> Arrangement | None:
    return await Arrangement.get_or_none(id=run_id, exam_province_id=exam_province_id) if run_id else None


async def province_of(exam_code: str, province_code: str) -> ExamProvince | None:
    return await ExamProvince.get_or_none(exam__code=exam_code, province_code=province_code)
