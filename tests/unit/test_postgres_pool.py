"""db.connection on PostgreSQL: the pool takes connections back without asyncpg's reset round trip, and a
transaction left open on a returned connection is still rolled back (asyncpg does that before our reset)."""
import os

import pytest
from tortoise import connections

import db

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


def test_the_postgresql_configuration_keeps_connections_as_they_come_back():
    conf = db.connection("postgresql://kjks@db.internal:5432/kjks?maxsize=5")
    assert conf["engine"] == "tortoise.backends.asyncpg"
    assert conf["credentials"]["reset"] is db._kept_as_it_is
    assert conf["credentials"]["maxsize"] == "5" and conf["credentials"]["host"] == "db.internal"  # the URL as before
    assert db.connection("sqlite://:memory:")["engine"] == "db.sqlite_engine"


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's pool")
async def test_a_returned_connection_costs_no_reset_and_an_open_transaction_is_rolled_back(clean_db):
    pool = connections.get("default")._pool
    assert pool._reset is db._kept_as_it_is
    async with pool.acquire() as con:
        pid = con.get_server_pid()
        await con.execute("SET application_name = 'left-by-a-test'")  # session state (the app never does this)
        await con.execute("BEGIN")
        await con.execute("SELECT 1")
    seen = {}
    for _ in range(pool.get_size()):  # every connection once: the same one among them
        async with pool.acquire() as con:
            seen[con.get_server_pid()] = (await con.fetchval("SHOW application_name"), con.is_in_transaction())
            await con.execute("RESET application_name")
        if pid in seen:
            break
    assert seen[pid] == ("left-by-a-test", False)  # not reset (no RESET ALL round trip), but not in a transaction
