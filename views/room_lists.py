"""The exam office's downloads of an arrangement (services/documents/room_lists.py): per room and 场次 the
考场签到表 and the 门贴, and the CSV of the whole arrangement. A reviewer of the province, or of the room's city;
anyone else 404 (and logged), as everywhere on the board."""
from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services import clock
from services.documents import room_lists
from services.review.scope import scope_of
from web.forms import Form
from web.sessions import reviewer_required

log = logging.getLogger("kjks")


def _download(data: bytes, media_type: str, ascii_name: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store"})


async def _exam_province(request: Request):
    scope = await scope_of(request.app.state.reference, reviewer_required(request))
    p = request.path_params
    ep = await room_lists.exam_province(scope, p["exam_code"], p["province"])
    if ep is None:
        log.warning("review scope refused arrangement %s reviewer=%s rid=%s", request.url.path,
                    scope.reviewer.username, request.state.request_id)
        raise HTTPException(404)
    return scope, ep


async def _room_file(request: Request, kind: str):
    scope, ep = await _exam_province(request)
    room = await room_lists.room_in_scope(scope, ep, request.path_params["room_id"])
    if room is None:
        log.warning("review scope refused room %s reviewer=%s rid=%s", request.url.path, scope.reviewer.username,
                    request.state.request_id)
        raise HTTPException(404)
    session = Form(request.query_params).id("session")  # the 场次's number; none: every 场次 of the room
    if session is None and "session" in request.query_params:
        raise HTTPException(404)
    sheets = await room_lists.room_sheets(ep, room, session, request.app.state.settings.upload_dir)
    if not sheets:
        raise HTTPException(404, "该考场在该场次没有安排考生。")
    data = await room_lists.room_pdf_of(kind, sheets)
    label = "考场签到表" if kind == room_lists.SIGNIN else "门贴"
    stem = f"{ep.exam.code}-{ep.province_code}-{room.site_id}-{room.number:03d}" + (f"-{session}" if session else "")
    return _download(data, "application/pdf", f"{kind}-{stem}.pdf",
                     f"{label}-{room.site_name}-第{room.number:03d}考场{f'-第{session}场' if session else ''}.pdf")


async def signin(request: Request):
    return await _room_file(request, room_lists.SIGNIN)


async def door(request: Request):
    return await _room_file(request, room_lists.DOOR)


async def arrangement_csv(request: Request):
    scope, ep = await _exam_province(request)
    data = await room_lists.arrangement_csv(scope, ep)
    day = clock.local(clock.now(), "%Y%m%d")
    return _download(data, "text/csv; charset=utf-8", f"arrangement-{ep.exam.code}-{ep.province_code}-{day}.csv",
                     f"考场编排-{ep.exam.name}-{day}.csv")


PREFIX = "/review/arrangement/{exam_code:exam_code}/{province:province}"
routes = [
    Route(PREFIX + "/rooms/{room_id:id}/signin.pdf", signin, name="arrangement_signin"),
    Route(PREFIX + "/rooms/{room_id:id}/door.pdf", door, name="arrangement_door"),
    Route(PREFIX + "/arrangement.csv", arrangement_csv, name="arrangement_csv"),
]
