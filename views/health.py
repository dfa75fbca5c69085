"""For the operator (a load balancer, a monitor). Nothing personal, nothing about the data: a status word per
check, 200 or 503.

- GET /healthz (liveness): this process serves and its database answers.
- GET /readyz (readiness): the database answers and has every migration of this code applied, so this node
  may take traffic. A node is started only after `cli migrate`; this tells a proxy or an orchestrator when a
  deployment got ahead of its schema. Once seen applied, the migrations are not planned again for READY_FOR
  seconds (planning loads the migration files).
"""
from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse

import db

READY_FOR = 30.0
_migrated_at = -READY_FOR
NO_STORE = {"Cache-Control": "no-store"}


async def healthz(request: Request):
    database = await request.app.state.reads.ping()
    body = {"status": "ok" if database else "unavailable", "database": "ok" if database else "unreachable"}
    return JSONResponse(body, status_code=200 if database else 503, headers=NO_STORE)


async def readyz(request: Request):
    global _migrated_at
    database = await request.app.state.reads.ping()
    migrations = "unknown"
    if database:
        if time.monotonic() - _migrated_at < READY_FOR:
            migrations = "applied"
        else:
            try:
                migrations = "pending" if await db.pending_migrations() else "applied"
            except Exception:  # the database went away meanwhile: not ready
                database = False
            if migrations == "applied":
                _migrated_at = time.monotonic()
    ready = database and migrations == "applied"
    body = {"status": "ready" if ready else "not ready", "database": "ok" if database else "unreachable",
            "migrations": migrations}
    return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)
