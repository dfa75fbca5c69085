"""GET /healthz for the operator (a load balancer, a monitor): whether this process serves and its database
answers. Nothing personal, nothing about the data: a status word per check, 200 or 503."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(request: Request):
    database = await request.app.state.reads.ping()
    body = {"status": "ok" if database else "unavailable", "database": "ok" if database else "unreachable"}
    return JSONResponse(body, status_code=200 if database else 503, headers={"Cache-Control": "no-store"})
