"""Uploaded files: served only to whoever services.documents.access says may see them; anyone else gets 404.

Behind nginx (FILES_ACCEL_PREFIX set) the app only decides: the answer is an empty response whose
X-Accel-Redirect names the file in nginx's internal location, and nginx sends the bytes, so no worker of ours
streams a file. The stored name has the shape web.paths checked (kind/xx/hex.ext), so it is safe in a URL."""
from __future__ import annotations

import logging

import anyio.to_thread

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from services.documents import access
from web.sessions import current_session

log = logging.getLogger("kjks")
SMALL = 512 * 1024  # bytes: photos and ID images are read whole


async def serve(request: Request):
    name = request.path_params["name"]
    if not await access.may_see(request.app.state.reference, current_session(request), name):
        log.info("file refused %s rid=%s", name, request.state.request_id)
        raise HTTPException(404)
    stored = access.stored_file(request.app.state.settings.upload_dir, name)
    if stored is None:
        raise HTTPException(404)
    accel = request.app.state.settings.files_accel_prefix
    if accel:
        return Response(b"", media_type=stored.media_type, headers={**stored.headers, "X-Accel-Redirect": accel + name})
    if stored.size <= SMALL:  # a photo: one read in a worker thread, not FileResponse's stat, open and reads
        try:
            body = await anyio.to_thread.run_sync(stored.path.read_bytes)
        except FileNotFoundError:  # deleted since (a photo replaced meanwhile)
            raise HTTPException(404) from None
        return Response(body, media_type=stored.media_type, headers=stored.headers)
    return FileResponse(stored.path, media_type=stored.media_type, headers=stored.headers)
