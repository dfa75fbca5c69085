"""Behind nginx, several nodes (issue 13): forwarded addresses only from trusted proxies, the node's name,
files handed to nginx, readiness, and 系统繁忙 when the database is out of reach."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from models.accounts import RateWindow
from models.profiles import RealnameRequest
from settings import networks
from tests.factories import CAPTCHA, csrf_of, mainland_id, post_online, register
from views import health

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def client_of(base, client_address="127.0.0.1", **overrides):
    """The app with the test settings `base` changed by `overrides`, its requests coming from `client_address`
    (the TCP peer)."""
    from app import create_app

    app = create_app(dataclasses.replace(base, **overrides), manage_db=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_address, 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def send_sms(client, forged: str, phone="13800138000"):
    token = await csrf_of(client)
    await client.get("/captcha.png")
    return await client.post("/sms/send", data={"phone": phone, "purpose": "register", "csrf_token": token,
                                                "captcha": CAPTCHA},
                             headers={"HX-Request": "true", "X-Forwarded-For": forged})


async def window_keys() -> set[str]:
    return {row.key for row in await RateWindow.all()}


async def test_a_forged_forwarded_for_does_not_change_the_address_the_sms_limit_counts(clean_db, settings):
    async with client_of(settings, "203.0.113.50") as c:  # no trusted proxy: the header is anyone's
        assert (await send_sms(c, forged="198.51.100.1")).status_code == 200
    assert await window_keys() == {"sms-ip:203.0.113.50"}
    async with client_of(settings, "203.0.113.50", trusted_proxies=networks("10.0.0.5", "")) as c:  # a proxy, but not this peer
        assert (await send_sms(c, forged="198.51.100.2", phone="13800138001")).status_code == 200
    assert await window_keys() == {"sms-ip:203.0.113.50"}


async def test_behind_a_trusted_proxy_the_limit_counts_the_client_the_proxy_saw(clean_db, settings):
    async with client_of(settings, "10.0.0.5", trusted_proxies=networks("10.0.0.0/24", "")) as c:
        r = await send_sms(c, forged="1.2.3.4, 198.51.100.9")  # the client's own entry, then nginx's
        assert r.status_code == 200
    assert await window_keys() == {"sms-ip:198.51.100.9"}


async def test_every_answer_names_its_node(clean_db, settings):
    async with client_of(settings, node_name="node-a") as c:
        assert (await c.get("/")).headers["x-node"] == "node-a"
        assert (await c.get("/no-such-page")).headers["x-node"] == "node-a"
    async with client_of(settings) as c:
        assert "x-node" not in (await c.get("/")).headers


async def test_behind_nginx_files_are_authorised_here_and_sent_by_nginx(clean_db, settings):
    async with client_of(settings, files_accel_prefix="/_protected/") as owner, \
            client_of(settings, files_accel_prefix="/_protected/") as other:
        await register(owner)
        await post_online(owner)
        row = await RealnameRequest.first()
        r = await owner.get(f"/files/{row.front}")
        assert r.status_code == 200 and r.content == b""
        assert r.headers["x-accel-redirect"] == f"/_protected/{row.front}"
        assert r.headers["content-type"] == "image/jpeg" and r.headers["cache-control"] == "private, no-store"
        await register(other, phone="13900139000", id_number=mainland_id("32010219900307121"))
        refused = await other.get(f"/files/{row.front}")
        assert refused.status_code == 404 and "x-accel-redirect" not in refused.headers


async def test_readyz_says_whether_this_node_may_take_traffic(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated_at", -health.READY_FOR)
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready", "database": "ok", "migrations": "applied"}

    async def behind():
        return ["models.0099_later"]

    monkeypatch.setattr(health, "_migrated_at", -health.READY_FOR)
    monkeypatch.setattr(health.db, "pending_migrations", behind)
    r = await client.get("/readyz")
    assert r.status_code == 503 and r.json()["migrations"] == "pending" and r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("error", [ConnectionRefusedError("connection refused"),
                                   asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
                                   asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
                                   asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress")])
async def test_the_database_out_of_reach_is_busy_not_a_server_error(client, monkeypatch, error):
    await register(client)

    async def down(*args, **kwargs):
        raise error

    # in the middleware (the session of a logged-in request) ...
    monkeypatch.setattr(client._transport.app.state.reads, "session", down)
    r = await client.get("/account")
    assert r.status_code == 503 and "系统繁忙" in r.text and r.headers["retry-after"] == "5"
    assert "Traceback" not in r.text and "Error" not in r.text
    monkeypatch.undo()

    # ... and in a view (the captcha's write)
    from services.accounts import captcha

    monkeypatch.setattr(captcha, "new_captcha", down)
    r = await client.get("/captcha.png")
    assert r.status_code == 503 and "系统繁忙" in r.text and "Error" not in r.text


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def test_two_migrations_at_once_and_a_node_started_too_early(tmp_path):
    env = {"DATABASE_URL": f"sqlite://{tmp_path}/fresh.sqlite3", "APP_ENV": "test"}
    early = cli("serve", "--port", "1", env=env)  # port 1: it must stop before it would listen
    assert early.returncode == 2 and "请先运行一次 python -m cli migrate" in early.stderr
    both = [subprocess.Popen([sys.executable, "-m", "cli", "migrate"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in both]
    assert [p.returncode for p in both] == [0, 0], outs
    import sqlite3

    with sqlite3.connect(tmp_path / "fresh.sqlite3") as conn:
        applied = [name for (name,) in conn.execute("SELECT name FROM tortoise_migrations")]
    files = sorted(p.stem for p in (ROOT / "migrations").glob("0*.py"))
    assert sorted(applied) == files  # each once
