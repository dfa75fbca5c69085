"""The throwaway database of a benchmark (bench/arrange.py, notifications.py, scores_import.py): a new SQLite file,
or with --db postgres the database named by BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_NAME),
made if missing, its schema dropped and made again first. The benchmark then migrates it as the app does."""
from __future__ import annotations

import asyncio
import os
import tempfile


def database_url(db: str, name: str) -> str:
    if db != "postgres":
        return f"sqlite://{tempfile.mkdtemp(prefix=f'kjks-{name}-')}/bench.sqlite3"
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/bench_{name}")
    asyncio.run(_reset_postgres(url))
    return url


async def _reset_postgres(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgres://", "postgresql://", 1)
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:  # not there yet: made from the server's maintenance database
        base, name = dsn.rsplit("/", 1)
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
