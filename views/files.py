"""Uploaded files: served only to whoever services.documents.access says may see them; anyone else gets 404."""
from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse

from services.documents import access
from web.sessions import current_session

log = logging.getLogger("kjks")


async def serve(request: Request):
    name = request.path_params["name"]
    if not await access.may_see(request.app.state.reference, current_session(request), name):
        log.info("file refused %s rid=%s", name, request.state.request_id)
        raise HTTPException(404)
    stored = access.stored_file(request.app.state.settings.upload_dir, name)
    if stored is None:
        raise HTTPException(404)
    return FileResponse(stored.path, media_type=stored.media_type, headers=stored.headers)
