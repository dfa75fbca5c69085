"""The answers for refusals and failures: the guards' redirects, 403, 404, 405 and 500, as Chinese pages."""
from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

from web.middleware import SECURITY_HEADERS
from web.render import render

log = logging.getLogger("kjks")


async def http_error(request: Request, exc: HTTPException):
    """A guard's redirect (303 with a Location), or the page for 403 / 404 / 405."""
    if exc.status_code in (301, 302, 303, 307) and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    if exc.status_code == 403:
        return render(request, "errors/403.html", {"detail": exc.detail}, status=403)
    if exc.status_code in (404, 405):
        return render(request, "errors/404.html", status=exc.status_code)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)


async def server_error(request: Request, exc: Exception):
    rid = request.scope.get("state", {}).get("request_id", "-")
    log.exception("server error rid=%s %s %s", rid, request.method, request.url.path)
    # Starlette answers a 500 outside our middleware: the security headers are added here.
    try:
        return render(request, "errors/500.html", {"request_id": rid}, status=500, headers=SECURITY_HEADERS)
    except Exception:
        return PlainTextResponse(f"系统繁忙，请稍后再试。请求编号：{rid}", status_code=500, headers=SECURITY_HEADERS)
