"""Migrations on a deployment: `cli migrate` is run once before the nodes, two at once are safe (an advisory
lock), and a node refuses to serve a database that is behind its code, or that it cannot reach."""
from __future__ import annotations

import subprocess
import sys

from tests.deploy.harness import ROOT, Sql, free_port

SCHEMA = ("SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
          "WHERE table_schema = 'public' ORDER BY 1, 2")
INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
APPLIED = "SELECT app, name FROM tortoise_migrations ORDER BY 1, 2"


def test_f_two_migrations_started_at_once_on_an_empty_database_both_succeed(deploy):
    url = deploy.cluster.createdb("fresh_twice")
    env = dict(deploy.env, DATABASE_URL=url)
    both = [subprocess.Popen([sys.executable, "-m", "cli", "migrate"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    answers = [(p.wait(120), *p.communicate()) for p in both]
    assert [a[0] for a in answers] == [0, 0], answers
    assert all("数据库已是最新结构" in a[1] for a in answers), answers
    fresh, reference = Sql(url), deploy.sql  # the deployment's database, migrated once by the fixture
    try:
        assert fresh.rows(SCHEMA) == reference.rows(SCHEMA)
        assert fresh.rows(INDEXES) == reference.rows(INDEXES)
        applied = fresh.rows(APPLIED)
        assert applied == reference.rows(APPLIED) and len(applied) == len({(r["app"], r["name"]) for r in applied})
        assert len(applied) == len([p for p in (ROOT / "migrations").glob("0*.py")])
    finally:
        fresh.close()


def test_f_a_node_refuses_to_serve_a_database_that_is_not_migrated(deploy):
    url = deploy.cluster.createdb("fresh_unmigrated")
    port = free_port()
    done = deploy.cli("serve", "--host", "127.0.0.1", "--port", str(port), database_url=url, timeout=60)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "尚未迁移" in done.stderr and "python -m cli migrate" in done.stderr and "Traceback" not in done.stderr
    fresh = Sql(url)
    try:  # it looked, and changed nothing
        assert fresh.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") == []
    finally:
        fresh.close()


def test_f_a_node_refuses_to_start_when_the_database_cannot_be_reached(deploy):
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/kjks"  # nothing listens there
    done = deploy.cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), database_url=nowhere, timeout=60)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "无法连接数据库" in done.stderr and "Traceback" not in done.stderr
