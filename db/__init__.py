"""The database: Tortoise ORM configuration (SQLite with WAL and a busy timeout by default, PostgreSQL by
DATABASE_URL), start-up and migrations. `db.reads` is the one read path for SQL that is not the ORM's own.

Schema changes go through Tortoise's own migrations (migrations/), applied by `python -m cli migrate`
and at start-up of the run command.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api.migrate import migrate as _migrate
from tortoise.migrations.executor import MigrationExecutor

from db import sqlite_engine

MODEL_MODULES = ["models.accounts", "models.applications", "models.arrangement", "models.exams", "models.payments",
                 "models.profiles", "models.reviews", "models.sandbox", "models.scores",
                 "models.notifications"]


def normalize_url(url: str) -> str:
    if url.startswith("sqlite://") and "?" not in url:
        # WAL is Tortoise's default journal mode; the busy timeout lets writers queue instead of failing.
        url += "?busy_timeout=5000&synchronous=NORMAL"
    if url.startswith("postgresql://"):
        url = "postgres://" + url[len("postgresql://"):]
    return url


async def _kept_as_it_is(connection) -> None:
    """asyncpg's pool `reset`, in place of Connection.reset(): that one runs `SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL;` each time a connection comes back to the pool, a second round trip to
    PostgreSQL for every statement Tortoise runs outside a transaction (it takes a connection per statement): half a
    journey's PostgreSQL transactions (518 → 262 without it). There is nothing to undo: the app leaves no session state on its pooled
    connections (no SET, LISTEN or cursor outside a transaction, no session advisory lock: migrations lock on a
    connection of their own), and asyncpg itself still rolls back a transaction left open before calling this."""


def connection(database_url: str):
    """The connection's configuration: on SQLite, Tortoise's client with its reads outside a transaction answered
    in the event loop's thread (db/sqlite_engine.py); on PostgreSQL, Tortoise's asyncpg client with a pool that
    does not reset connections it gets back (_kept_as_it_is)."""
    url = normalize_url(database_url)
    if not url.startswith("sqlite://"):
        config_ = expand_db_url(url)
        config_["credentials"]["reset"] = _kept_as_it_is
        return config_
    return {**expand_db_url(url), "engine": "db.sqlite_engine"}


def config(database_url: str) -> dict:
    return {
        "connections": {"default": connection(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",  # stored and compared in UTC, shown in China time by the templates
    }


def _cli_config() -> dict:
    from settings import load

    return config(os.environ.get("DATABASE_URL") or load().database_url)


# For the `tortoise` command line (makemigrations); see [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = _cli_config() if os.environ.get("TORTOISE_CLI") else None


def _ensure_sqlite_dir(database_url: str) -> None:
    if database_url.startswith("sqlite://"):
        path = database_url[len("sqlite://"):].split("?")[0]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


async def init(database_url: str) -> None:
    _ensure_sqlite_dir(database_url)
    await Tortoise.init(config=config(database_url), _enable_global_fallback=True)


async def migrate(database_url: str, target: str | None = None) -> None:
    """Apply every migration that has not run yet (idempotent), or move to `target` ("models.0008_...",
    backwards too).

    On SQLite, Tortoise changes a column by rebuilding its table (create, copy, DROP TABLE, rename). With foreign
    keys enforced, that DROP TABLE cascades into every table referring to it: a migration removing a column of
    `account` would delete every session, profile and application. So migrations run with foreign keys off, as
    SQLite's own procedure for such changes says, and `PRAGMA foreign_key_check` must find nothing afterwards.

    Several nodes may be deployed at once: migrations run under a lock (PostgreSQL: an advisory lock; SQLite: an
    flock beside the file), so a second `migrate` waits for the first, then finds nothing left to do.
    """
    _ensure_sqlite_dir(database_url)
    url = normalize_url(database_url)
    sqlite = url.startswith("sqlite://")
    if sqlite:
        url += "&foreign_keys=OFF"
    async with _migration_lock(url):
        try:
            await _migrate(config=config(url), target=target)
            if sqlite:
                broken = await connections.get("default").execute_query_dict("PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")
        finally:
            # The migrator leaves its connections open: aiosqlite's thread would keep the process alive.
            await Tortoise.close_connections()


MIGRATION_LOCK = 0x6B6A6B73  # "kjks": the advisory lock key of migrations on PostgreSQL


@contextlib.asynccontextmanager
async def _migration_lock(url: str):
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):].split("?")[0]
        if path in ("", ":memory:"):
            yield
            return
        fd = os.open(os.path.abspath(path) + ".migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
        return
    conn = await asyncpg.connect(url.split("?")[0])  # a session of its own: the lock lives as long as it
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        yield
    finally:
        await conn.close()  # releases the lock


async def pending_migrations() -> list[str]:
    """The migrations this code has that the connected database has not applied ("models.0010_..."); [] when
    it is up to date. For start-up (`cli serve` refuses to serve an older schema) and /readyz."""
    apps = config("sqlite://:memory:")["apps"]
    executor = MigrationExecutor(connections.get("default"), apps)
    return [f"{step.migration.app_label}.{step.migration.name}" for step in await executor.plan()
            if not step.backward]


async def close() -> None:
    await Tortoise.close_connections()


def unavailable(exc: BaseException) -> bool:
    """Is this failure the database being out of reach (restarting, refusing connections, a connection cut, a
    SQLite writer lock held past the busy timeout), rather than a fault of ours? The answer to it is 系统繁忙,
    and the next request, on a new connection, may succeed."""
    import socket
    import sqlite3

    from tortoise.exceptions import DBConnectionError

    seen = 0
    while exc is not None and seen < 8:  # the driver's error, wrapped by the ORM or by anyio
        if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, DBConnectionError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                            # a pooled connection the server ended mid-operation (MagicStack/asyncpg#1069)
                            asyncpg.InternalClientError,
                            asyncpg.exceptions.OperatorInterventionError, asyncpg.TooManyConnectionsError)):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def database_waits() -> float:
    """The longest wait of a statement for the database since the last call (SQLite: for the writer), or 0."""
    return sqlite_engine.WAITS.take()
