"""Test harness: the real app over ASGI (httpx), on SQLite or on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built once per run by the real migrations (so they are tested on both databases), and
every test starts from empty tables.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

os.environ["APP_ENV"] = "test"
os.environ.setdefault("CAPTCHA_FIXED", "TEST")

import httpx  # noqa: E402
import pytest  # noqa: E402
from tortoise import connections  # noqa: E402

import db  # noqa: E402
import settings as settings_module  # noqa: E402
from services.reference import exams as examdata
from services.accounts import passwords  # noqa: E402

passwords.use_fast_hashing_for_tests()
# Tests change exam rows directly and look at the next page at once: no cache here
# (tests/unit/test_examdata.py checks the cache itself).
examdata.ttl = 0

CAPTCHA = os.environ["CAPTCHA_FIXED"]
_TMP = tempfile.mkdtemp(prefix="kjks-test-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite://{_TMP}/test.sqlite3"


def test_settings(**overrides):
    env = {"APP_ENV": "test", "DATABASE_URL": DATABASE_URL, "CAPTCHA_FIXED": CAPTCHA, "UPLOAD_DIR": f"{_TMP}/uploads"}
    env.update(overrides)
    return settings_module.load(env)


async def _reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
async def database():
    if DATABASE_URL.startswith("postgres"):
        await _reset_postgres(DATABASE_URL)
    await db.migrate(DATABASE_URL)
    await db.init(DATABASE_URL)
    yield
    await db.close()


def _tables() -> list[str]:
    from tortoise import Tortoise

    return [m._meta.db_table for app in Tortoise.apps.values() for m in app.values()]


@pytest.fixture(autouse=True)
async def clean_tables(database):
    conn = connections.get("default")
    tables = _tables()
    if DATABASE_URL.startswith("postgres"):
        await conn.execute_script("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE;")
    else:
        await conn.execute_script("".join(f'DELETE FROM "{t}";' for t in tables))
    shutil.rmtree(f"{_TMP}/uploads", ignore_errors=True)
    yield


@pytest.fixture
def settings():
    return test_settings()


@pytest.fixture
def app(settings):
    from app import create_app
    from web import SqliteReader

    app = create_app(settings, manage_db=False)
    if DATABASE_URL.startswith("sqlite://"):
        # As in production on SQLite: session lookups read through the direct read-only connection.
        app.state.sqlite_reader = SqliteReader(db.normalize_url(DATABASE_URL))
        examdata.reader = app.state.sqlite_reader
    return app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 follow_redirects=False) as c:
        yield c


@pytest.fixture
async def other_client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def csrf_of(client: httpx.AsyncClient, path: str = "/register") -> str:
    page = await client.get(path)
    m = CSRF_RE.search(page.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)
