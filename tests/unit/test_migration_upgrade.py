"""The real migrations moving a database that holds data (issue 11): on SQLite, Tortoise rebuilds a table to drop
or change a column, and with foreign keys enforced that DROP TABLE deleted every row referring to it (0009's
removal of two account columns deleted the sessions, profiles, applications, orders and review log). Here a
database with the demo candidates goes back to 0008 and forward again through the real `python -m cli
migrate`, in processes of their own, and keeps every row."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
TABLES = ("account", "session", "profile", "education", "realname_request", "application", "material",
          "payment_order", "review_log", "site", "exam_province")
SEED = """
import asyncio
import datetime
import db
from models.accounts import Account, Reviewer, Session
from models.applications import Application, Material
from models.payments import Order
from models.profiles import Education, Profile, RealnameRequest
from db.reads import Reads
from services import clock, demo
from services.reference.exams import ReferenceData
from settings import load

async def main():
    s = load()
    await db.init(s.database_url)
    reads = Reads(s.database_url)
    try:
        assert await demo.seed_applications(s.upload_dir, clock.now(), ReferenceData(reads, max_age=0)) > 0
        # A row of every kind that refers to an account, an application or a reviewer.
        now = clock.now()
        account = await Account.filter(id__gt=0).order_by("id").first()
        app = await Application.filter(account=account).first()
        reviewer = await Reviewer.first()
        await Session.create(id="a" * 64, account=account, created_at=now, last_seen_at=now)
        await Session.create(id="b" * 64, reviewer=reviewer, created_at=now, last_seen_at=now)
        await Profile.create(account=account, ethnicity="汉族")
        await Education.create(account=account, level="大学本科", school="某大学", major="会计学",
                               graduated_on=datetime.date(2010, 7, 1), certificate_no="1")
        await RealnameRequest.create(account=account, status="approved", province_code="11", city_code="110105",
                                     front="f", back="b", handheld="h")
        await Material.create(application=app, item="学历证书", stored="material/x.pdf", kind="pdf")
        await Order.create(number="20270101-11-ABCDEFGH", application=app, amount_fen=5600, created_at=now,
                           expires_at=now)
    finally:
        reads.close()
        await db.close()

asyncio.run(main())
"""
COUNT = """
import asyncio, json
import db
from tortoise import connections
from settings import load

async def main():
    await db.init(load().database_url)
    conn = connections.get("default")
    counts = {t: (await conn.execute_query_dict(f'SELECT COUNT(*) AS n FROM "{t}"'))[0]["n"] for t in %r}
    await db.close()
    print(json.dumps(counts))

asyncio.run(main())
""" % (TABLES,)


@pytest.fixture
def database_url():
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
    if not DATABASE_URL.startswith("postgres"):
        yield f"sqlite://{tempfile.mkdtemp(prefix='kjks-upgrade-')}/upgrade.sqlite3"
        return
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    psql = ["psql", "-q", admin.replace("postgres://", "postgresql://", 1), "-c"]
    subprocess.run(psql + ["DROP DATABASE IF EXISTS kjks_upgrade WITH (FORCE)"], check=True, capture_output=True)
    subprocess.run(psql + ["CREATE DATABASE kjks_upgrade"], check=True, capture_output=True)
    yield DATABASE_URL.rsplit("/", 1)[0] + "/kjks_upgrade"
    subprocess.run(psql + ["DROP DATABASE IF EXISTS kjks_upgrade WITH (FORCE)"], check=True, capture_output=True)


def run(env, *args, code=None):
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "cli", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_going_back_to_0008_and_forward_again_keeps_every_row(database_url, tmp_path):
    import json

    env = dict(os.environ, APP_ENV="test", DATABASE_URL=database_url, UPLOAD_DIR=str(tmp_path / "uploads"))
    run(env, "demo")  # migrates, seeds the demo exams and its reviewer
    run(env, code=SEED)  # twelve candidates with submitted applications, their records and the review log
    before = json.loads(run(env, code=COUNT))
    assert all(n > 0 for n in before.values()), before
    run(env, "migrate", "--to", "0008_application_progress_columns")  # 0009 and 0010 undone: columns back
    run(env, "migrate")  # and removed again, by rebuilding `account` and `reviewer` on SQLite
    after = json.loads(run(env, code=COUNT))
    assert after == before
