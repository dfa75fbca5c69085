"""The exam office's downloads of an arrangement: a room's 考场签到表 and 门贴 for one 场次, and the CSV of the
whole arrangement of one exam and province (room_pdf draws them; services.arrangement.reads reads them).

A reviewer sees what their scope holds: a province reviewer every room of the province, a city reviewer the rooms
of their city's 报名点; anything else is None here and 404 in the view. A 场次 is named by its number in the exam
(ExamSession.number, `?session=N`; without it, a room's file holds each of its 场次 in turn), the room by its id.
"""
from __future__ import annotations

import anyio.to_thread

from models.exams import ExamProvince
from services.arrangement import reads
from services.documents import room_pdf, uploads
from services.review.scope import Scope

SIGNIN, DOOR = "signin", "door"


async def exam_province(scope: Scope, exam_code: str, province: str) -> ExamProvince | None:
    """The exam's registration in this province, when it is the reviewer's province."""
    if province != scope.reviewer.province_code:
        return None
    ep = await ExamProvince.filter(exam__code=exam_code, province_code=province).select_related("exam").first()
    return ep if ep is not None and ep.id in scope.province_ids else None


async def room_in_scope(scope: Scope, ep: ExamProvince, room_id: int) -> reads.RoomInfo | None:
    room = await reads.room_of(room_id)
    if room is None or room.exam_province_id != ep.id:
        return None
    return room if not scope.reviewer.city or room.city_code == scope.reviewer.city else None


def _photo_path(upload_dir, name: str | None) -> str | None:
    try:
        return str(uploads.path_of(upload_dir, name)) if name else None
    except uploads.UploadError:
        return None


def sheet_of(exam_name: str, s: reads.RoomSheet, upload_dir) -> room_pdf.RoomSheet:
    r = s.room
    return room_pdf.RoomSheet(
        exam_name, r.site_name, r.venue, r.venue_address, r.number, r.seats, s.session_number, s.starts_at,
        s.ends_at, tuple(s.subjects),
        tuple(room_pdf.SeatedCandidate(c.seat, c.admission_number, c.name, c.masked_id,
                                       _photo_path(upload_dir, c.photo)) for c in s.candidates))


async def room_sheets(ep: ExamProvince, room: reads.RoomInfo, session_number: int | None,
                      upload_dir) -> list[room_pdf.RoomSheet]:
    """The room in that 场次, or in every 场次 that seats someone there when none is named (one document for
    the room); empty when nobody sits there."""
    return [sheet_of(ep.exam.name, s, upload_dir) for s in await reads.room_sheets(room.room_id)
            if session_number in (None, s.session_number)]


async def room_pdf_of(kind: str, sheets: list[room_pdf.RoomSheet]) -> bytes:
    """The 签到表 or the 门贴 as PDF, built off the event loop."""
    build = room_pdf.build_signin if kind == SIGNIN else room_pdf.build_door
    return await anyio.to_thread.run_sync(lambda: build(*sheets))


async def arrangement_csv(scope: Scope, ep: ExamProvince) -> bytes:
    """Every seat of the arrangement inside the scope (a city reviewer: their city's), masked and formula-safe."""
    rows = await reads.arrangement_rows(ep.id, scope.reviewer.city or None)
    return room_pdf.arrangement_csv(room_pdf.ArrangementRow(
        r.admission_number, r.name, r.id_number, r.city_name, r.site_name, r.venue, r.venue_address,
        r.session_number, r.starts_at, r.ends_at, tuple(r.subjects), r.room_number, r.seat) for r in rows)
