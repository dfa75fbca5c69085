"""GET /healthz for the operator, and the periodic jobs the app's lifespan starts (issue 11)."""
import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import httpx

import db
from models.accounts import Captcha
from services.clock import now
from services.documents import uploads
from tests.factories import register


async def test_healthz_says_the_database_answers_and_nothing_else(client):
    await register(client)  # an account exists: nothing of it may show
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}
    assert r.headers["cache-control"] == "no-store" and "13800138000" not in r.text


async def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    from tortoise import connections

    class Down:
        capabilities = connections.get("default").capabilities

        async def execute_query_dict(self, *args, **kwargs):
            raise ConnectionRefusedError("connection refused")  # what the driver raises with the server gone

    monkeypatch.setattr(connections, "get", lambda alias: Down())
    r = await client.get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "unavailable", "database": "unreachable"}


async def test_the_lifespan_runs_the_purge_and_the_sweep(settings, monkeypatch):
    """With the database managed by the app (as `make run` and production run it), the housekeeping job purges an
    expired captcha and the sweep removes an old temp file, without anyone asking."""
    from app import create_app

    await Captcha.create(sid="old", answer_hash="x", expires_at=now() - timedelta(minutes=5))
    folder = Path(settings.upload_dir) / "realname"
    folder.mkdir(parents=True, exist_ok=True)
    leftover = folder / f"{uploads.TEMP_PREFIX}crash.jpg"
    leftover.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3700
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    # The test session's database is open already: the app's own init and close are left out.
    async def nothing(*args):
        return None

    monkeypatch.setattr(db, "init", nothing)
    monkeypatch.setattr(db, "close", nothing)
    app = create_app(settings, manage_db=True)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.get("/healthz")).status_code == 200
        for _ in range(100):
            if not leftover.exists() and not await Captcha.exists(sid="old"):
                break
            await asyncio.sleep(0.05)
    assert not leftover.exists() and not await Captcha.exists(sid="old")
