"""What the arrangement gave, read for the 准考证, the board, the room lists and the CSV (nothing here writes).

Interface (for services/documents/admission_pdf.py, room_pdf.py, views/tickets.py and the board):

- `await ticket_of(application_id) -> Ticket | None`: the 准考证号 and the seats of one application, None when
  it has no 准考证号 (not paid, or not arranged yet). Ticket.seats are in session order; each SeatLine has
  session_number, batch, starts_at / ends_at (aware datetimes; `date_text`, `time_text` in China time),
  subjects (the candidate's own subjects in that session), venue, venue_address (考点 and its address),
  site_name, room_id, room_number, seat. Scope (whose application it is) is the caller's to check.
- `await tickets_of(application_ids) -> dict[int, Ticket]`: the same for several (the board's rows).
- `await room_of(room_id) -> RoomInfo | None`: a room with its site, city code and ExamProvince id (for the
  caller's scope check: a reviewer's province, and city if the reviewer has one).
- `await room_sheets(room_id) -> list[RoomSheet]`: the 考场签到表 / 门贴 of a room, one RoomSheet per session
  that seats someone there, in session order: the room, the session (number, times, subjects) and its
  candidates by seat (seat, admission_number, name, id_type, masked_id, photo: the stored upload name of the
  application's photo, or None, under UPLOAD_DIR like the other uploads); first_number / last_number give
  the 准考证号 range for the 门贴.
- `await rooms_of(exam_province_id, city_code=None) -> list[RoomInfo]`: every room of the province (or of one
  city), by city, site and number, with `seated` (seats taken over all sessions), for the board's list.
- `await arrangement_rows(exam_province_id, city_code=None) -> list[ArrangedRow]`: one row per seat (准考证号,
  name, id_type, id_number in full, city, site, venue, session, times, subjects, room, seat), ordered by site,
  session, room and seat, for the CSV of the whole arrangement.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from models.applications import Application
from models.arrangement import Admission, Seat
from models.exams import ExamSession, Room
from services import clock
from services.accounts.names import mask_id_number


class _Sitting:
    """A session's date and time as printed (China time), for the rows that carry starts_at and ends_at."""

    starts_at: datetime
    ends_at: datetime

    @property
    def date_text(self) -> str:
        return clock.local(self.starts_at, "%Y年%m月%d日")

    @property
    def time_text(self) -> str:
        return f"{clock.local(self.starts_at, '%H:%M')}-{clock.local(self.ends_at, '%H:%M')}"


@dataclass(frozen=True)
class SeatLine(_Sitting):
    session_id: int
    session_number: int
    batch: int
    starts_at: datetime
    ends_at: datetime
    subjects: list[str]
    venue: str
    venue_address: str
    site_name: str
    room_id: int
    room_number: int
    seat: int


@dataclass(frozen=True)
class Ticket:
    application_id: int
    number: str  # 准考证号
    seats: list[SeatLine]


@dataclass(frozen=True)
class RoomInfo:
    room_id: int
    number: int
    seats: int
    site_id: int
    site_name: str
    venue: str
    venue_address: str
    city_code: str
    city_name: str
    exam_province_id: int
    seated: int = 0


@dataclass(frozen=True)
class RoomCandidate:
    seat: int
    admission_number: str
    name: str
    id_type: str
    masked_id: str
    photo: str | None
    application_id: int


@dataclass(frozen=True)
class RoomSheet(_Sitting):
    room: RoomInfo
    session_id: int
    session_number: int
    batch: int
    starts_at: datetime
    ends_at: datetime
    subjects: list[str]
    candidates: list[RoomCandidate] = field(default_factory=list)

    @property
    def first_number(self) -> str:
        return min((c.admission_number for c in self.candidates), default="")

    @property
    def last_number(self) -> str:
        return max((c.admission_number for c in self.candidates), default="")


@dataclass(frozen=True)
class ArrangedRow:
    admission_number: str
    name: str
    id_type: str
    id_number: str
    city_name: str
    site_name: str
    venue: str
    venue_address: str
    session_number: int
    starts_at: datetime
    ends_at: datetime
    subjects: list[str]
    room_number: int
    seat: int


_SEAT_FIELDS = ("application_id", "session_id", "session__number", "session__batch", "session__starts_at",
                "session__ends_at", "session__subjects", "room_id", "room__number", "seat", "room__site__name",
                "room__site__venue", "room__site__venue_address")


def _session_subjects(raw) -> list[str]:
    if isinstance(raw, str):  # a JSON column read through a join may come back as its text
        return json.loads(raw)
    return list(raw or [])


async def tickets_of(application_ids: list[int]) -> dict[int, Ticket]:
    if not application_ids:
        return {}
    numbers = dict(await Admission.filter(application_id__in=application_ids).values_list("application_id", "number"))
    if not numbers:
        return {}
    subjects = dict(await Application.filter(id__in=list(numbers)).values_list("id", "subjects"))
    lines: dict[int, list[SeatLine]] = defaultdict(list)
    for r in await Seat.filter(application_id__in=list(numbers)).order_by("session__number").values(*_SEAT_FIELDS):
        mine = set(subjects.get(r["application_id"]) or [])
        lines[r["application_id"]].append(SeatLine(
            session_id=r["session_id"], session_number=r["session__number"], batch=r["session__batch"],
            starts_at=r["session__starts_at"], ends_at=r["session__ends_at"],
            subjects=[s for s in _session_subjects(r["session__subjects"]) if s in mine],
            venue=r["room__site__venue"] or r["room__site__name"], venue_address=r["room__site__venue_address"],
            site_name=r["room__site__name"], room_id=r["room_id"], room_number=r["room__number"], seat=r["seat"]))
    return {a: Ticket(a, number, lines.get(a, [])) for a, number in numbers.items()}


async def ticket_of(application_id: int) -> Ticket | None:
    return (await tickets_of([application_id])).get(application_id)


_ROOM_FIELDS = ("id", "number", "seats", "site_id", "site__name", "site__venue", "site__venue_address",
                "site__city__code", "site__city__name", "site__city__exam_province_id")


def _room(r: dict, seated: int = 0) -> RoomInfo:
    return RoomInfo(room_id=r["id"], number=r["number"], seats=r["seats"], site_id=r["site_id"],
                    site_name=r["site__name"], venue=r["site__venue"] or r["site__name"],
                    venue_address=r["site__venue_address"], city_code=r["site__city__code"],
                    city_name=r["site__city__name"], exam_province_id=r["site__city__exam_province_id"], seated=seated)


async def room_of(room_id: int) -> RoomInfo | None:
    rows = await Room.filter(id=room_id).values(*_ROOM_FIELDS)
    return _room(rows[0]) if rows else None


async def rooms_of(exam_province_id: int, city_code: str | None = None) -> list[RoomInfo]:
    q = Room.filter(site__city__exam_province_id=exam_province_id)
    if city_code:
        q = q.filter(site__city__code=city_code)
    rows = await q.order_by("site__city__code", "site_id", "number").values(*_ROOM_FIELDS)
    counts: dict[int, int] = defaultdict(int)
    if rows:
        for room_id in await Seat.filter(room_id__in=[r["id"] for r in rows]).values_list("room_id", flat=True):
            counts[room_id] += 1
    return [_room(r, counts[r["id"]]) for r in rows]


async def room_sheets(room_id: int) -> list[RoomSheet]:
    room = await room_of(room_id)
    if room is None:
        return []
    seats = await Seat.filter(room_id=room_id).order_by("session__number", "seat").values(
        "seat", "session_id", "application_id", "application__cand_name", "application__photo",
        "application__account__id_type", "application__account__id_number")
    if not seats:
        return []
    numbers = dict(await Admission.filter(application_id__in={s["application_id"] for s in seats}).values_list(
        "application_id", "number"))
    sessions = {s.id: s for s in await ExamSession.filter(id__in={s["session_id"] for s in seats})}
    sheets: dict[int, RoomSheet] = {}
    for s in seats:
        x = sessions[s["session_id"]]
        sheet = sheets.get(x.id)
        if sheet is None:
            sheet = sheets[x.id] = RoomSheet(room, x.id, x.number, x.batch, x.starts_at, x.ends_at, list(x.subjects))
        sheet.candidates.append(RoomCandidate(
            seat=s["seat"], admission_number=numbers.get(s["application_id"], ""),
            name=s["application__cand_name"] or "",
            id_type=s["application__account__id_type"], masked_id=mask_id_number(s["application__account__id_number"]),
            photo=s["application__photo"], application_id=s["application_id"]))
    return sorted(sheets.values(), key=lambda sh: sh.session_number)


async def arrangement_rows(exam_province_id: int, city_code: str | None = None) -> list[ArrangedRow]:
    q = Seat.filter(room__site__city__exam_province_id=exam_province_id)
    if city_code:
        q = q.filter(room__site__city__code=city_code)
    q = q.order_by("room__site__city__code", "room__site_id", "session__number", "room__number", "seat")
    rows = await q.values(
        *_SEAT_FIELDS, "application__cand_name", "application__account__id_type", "application__account__id_number",
        "room__site__city__name")
    numbers = dict(await Admission.filter(exam_province_id=exam_province_id).values_list("application_id", "number"))
    return [ArrangedRow(
        admission_number=numbers.get(r["application_id"], ""), name=r["application__cand_name"] or "",
        id_type=r["application__account__id_type"], id_number=r["application__account__id_number"],
        city_name=r["room__site__city__name"], site_name=r["room__site__name"],
        venue=r["room__site__venue"] or r["room__site__name"], venue_address=r["room__site__venue_address"],
        session_number=r["session__number"], starts_at=r["session__starts_at"], ends_at=r["session__ends_at"],
        subjects=_session_subjects(r["session__subjects"]), room_number=r["room__number"], seat=r["seat"])
        for r in rows]
