"""Test harness: the real app over ASGI (httpx), on SQLite or on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built once per run by the real migrations (so they are tested on both databases), only when
a test needs the database: HTTP tests always (tests/http/conftest.py), unit tests that ask for `clean_db`.
Every such test starts from empty tables. Builders shared by tests are in tests/factories.py.
"""
from __future__ import annotations

import os
import shutil
import tempfile

os.environ["APP_ENV"] = "test"
os.environ.setdefault("CAPTCHA_FIXED", "TEST")
# Tests register hundreds of accounts: the cheapest argon2id (every hash stores its own parameters); no
# refusal floor, and no admission control but where a test sets it.
TEST_ENV = {"PASSWORD_TIME_COST": "1", "PASSWORD_MEMORY_KIB": "1024", "PASSWORD_HASHES_AT_ONCE": "4",
                "LOGIN_FAILURE_SECONDS": "0",  # the timing tests set their own
                "ADMISSION_LAG_MS": "600000"}  # a test machine's loop may stall: only tests/http/test_admission.py
                                               # turns anyone away
os.environ.update(TEST_ENV)

import httpx  # noqa: E402
import pytest  # noqa: E402

import db  # noqa: E402
import settings as settings_module  # noqa: E402
from services.accounts import login, passwords  # noqa: E402

passwords.use_fast_hashing_for_tests()
login.configure(failure_seconds=0)

CAPTCHA = os.environ["CAPTCHA_FIXED"]
_TMP = tempfile.mkdtemp(prefix="kjks-test-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite://{_TMP}/test.sqlite3"


def test_settings(**overrides):
    env = {"APP_ENV": "test", "DATABASE_URL": DATABASE_URL, "CAPTCHA_FIXED": CAPTCHA, "UPLOAD_DIR": f"{_TMP}/uploads",
           **TEST_ENV}
    env.update(overrides)
    return settings_module.load(env)


async def _reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
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


@pytest.fixture
async def clean_db(database):
    """Empty tables and no uploads, for a test that uses the database."""
    from tortoise import connections

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
async def app(settings, clean_db):
    """The app as production runs it, its lifespan included (the read path, the reference data cache)."""
    from app import create_app

    app = create_app(settings, manage_db=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 follow_redirects=False) as c:
        yield c


@pytest.fixture
async def other_client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def demo(clean_db):
    """The demo exams of data/demo.toml, seeded as the CLI does (windows relative to today)."""
    import cli
    from services import clock
    from services.reference import seeding

    await seeding.seed(cli.DEMO_FILE, clock.today())


@pytest.fixture
def gateway(app):
    """The sandbox gateway's notifications go to the app under test, without pauses between retries."""
    from services.providers import make_providers

    app.state.providers = make_providers(app.state.settings, payment_transport=httpx.ASGITransport(app=app),
                                         payment_retry_delays=(0, 0))
    return app.state.providers.payments
