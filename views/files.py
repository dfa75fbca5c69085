"""Uploaded files: served only to their owner and to reviewers whose scope covers them; anyone else gets 404."""
from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from tortoise.expressions import Q

from models.applications import Application, Material
from models.profiles import Profile, RealnameRequest
from services.documents import uploads
from services.review.queue import reviewer_may_see
from web.sessions import current_session

log = logging.getLogger("kjks")


async def may_see(reference, session, name: str) -> bool:
    if session is None:
        return False
    if session.account_id:
        owner = Q(account_id=session.account_id)
        if await RealnameRequest.filter(owner & (Q(front=name) | Q(back=name) | Q(handheld=name))).exists():
            return True
        if await Profile.filter(account_id=session.account_id, photo=name).exists():
            return True
        if await Application.filter(owner & (Q(photo=name) | Q(pending_photo=name))).exists():
            return True
        return await Material.filter(stored=name, application__account_id=session.account_id).exists()
    if session.reviewer_id:
        return await reviewer_may_see(reference, session.reviewer, name)
    return False


async def serve(request: Request):
    name = request.path_params["name"]
    session = current_session(request)
    if not await may_see(request.app.state.reference, session, name):
        log.info("file refused %s rid=%s", name, request.state.request_id)
        raise HTTPException(404)
    return file_response(request.app.state.settings, name)


def file_response(settings, name: str) -> FileResponse:
    """An upload by its stored name. PDFs are stored as uploaded (they may carry scripts): they are
    downloaded, never rendered in our origin."""
    try:
        path = uploads.path_of(settings.upload_dir, name)
    except (uploads.UploadError, FileNotFoundError):
        raise HTTPException(404) from None
    if not path.exists():
        raise HTTPException(404)
    media = {"png": "image/png", "pdf": "application/pdf"}.get(name.rsplit(".", 1)[-1], "image/jpeg")
    disposition = "attachment" if media == "application/pdf" else "inline"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, no-store",
                                                         "Content-Disposition": disposition})
