"""Tortoise's SQLite client, with the ORM's reads outside a transaction answered in the event loop's thread.

Tortoise runs every SQLite query through aiosqlite: one connection, behind one lock, in a thread of its own.
Each query is a hop to that thread and back (a queue, a pipe write to wake the loop), and waits for any
transaction of the process to finish first. A journey makes about 170 ORM queries; most are primary-key or
index reads, which in WAL mode take microseconds on a read-only connection, less than the hop. So a SELECT
outside a transaction goes to a read-only connection in the loop's thread (as db.reads does for its prepared
SQL), and comes back as the rows aiosqlite would have given; the same query on a busy or missing file, and every
write and every query of a transaction, go through aiosqlite as before.

A read in the loop sees what has committed, as it would on aiosqlite's connection outside a transaction.
Selected by db.config for sqlite:// URLs (engine "db.sqlite_engine").
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from tortoise.backends.sqlite.client import SqliteClient

_READS = ("SELECT", "select")


class InLoopReadsClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs):
        super().__init__(file_path, **kwargs)
        self._reader: sqlite3.Connection | None = None

    def _read(self, query: str, values) -> list | None:
        """The rows from the read-only connection, or None when it cannot answer now (busy, no file yet...)."""
        try:
            if self._reader is None:
                if self.filename == ":memory:" or not os.path.exists(self.filename):
                    return None
                self._reader = sqlite3.connect(f"file:{os.path.abspath(self.filename)}?mode=ro", uri=True,
                                               timeout=0.02, check_same_thread=False, isolation_level=None)
                self._reader.row_factory = sqlite3.Row
            return self._reader.execute(query, values or ()).fetchall()
        except sqlite3.OperationalError:  # busy, locked: aiosqlite's connection waits it out
            return None
        except sqlite3.Error:  # a reader in a bad state: a new one next time
            if self._reader is not None:
                self._reader.close()
            self._reader = None
            return None

    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, Sequence[dict]]:
        if query.startswith(_READS):
            rows = self._read(query.replace("\x00", "'||CHAR(0)||'"), values)
            if rows is not None:
                return len(rows), rows
        return await super().execute_query(query, values)

    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        if query.startswith(_READS):
            rows = self._read(query.replace("\x00", "'||CHAR(0)||'"), values)
            if rows is not None:
                return list(map(dict, rows))
        return await super().execute_query_dict(query, values)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await super().close()


client_class = InLoopReadsClient
