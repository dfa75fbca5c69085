"""Tortoise's SQLite client, with the ORM's reads outside a transaction answered in the event loop's thread.

Tortoise runs every SQLite query through aiosqlite: one connection, behind one lock, in a thread of its own.
Each query is a hop to that thread and back (a queue, a pipe write to wake the loop), and waits for any
transaction of the process to finish first. A journey makes about 170 ORM queries; most are primary-key or
index reads, which in WAL mode take microseconds on a read-only connection, less than the hop. So a SELECT
outside a transaction goes to a read-only connection in the loop's thread (as db.reads does for its prepared
SQL), and comes back as the rows aiosqlite would have given; the same query on a busy or missing file, and every
write and every query of a transaction, go through aiosqlite as before.

A read in the loop sees what has committed, as it would on aiosqlite's connection outside a transaction.

Writers of several processes queue on an flock instead of SQLite's busy handler. SQLite makes a writer that
finds the file locked sleep and retry (1, 2, 5, 10, 15, 20, 25... ms), however soon the lock is free: with two
workers writing, those sleeps chained into convoys, and under a surge a change waited seconds for a lock held
a millisecond at a time. Every statement and transaction that may write takes the file's write lock first
(`<database>.write-lock`, flock): the kernel wakes the next writer the moment the lock is released. Within a
process Tortoise already runs one at a time (its connection lock), so the flock only orders the processes; it is
taken after that lock and released before it, always in that order.

The writes run in the event loop's thread too (`LoopConnection`, in place of aiosqlite's connection). Each hop to
aiosqlite's thread and back cost about 95 µs of CPU (a queue, two thread wake-ups, a pipe write), a WAL write with
synchronous=NORMAL about 17 µs, and a journey makes some 250 of them: about a tenth of its CPU went to the hops.
Holding the file's write lock (above), a statement finds SQLite's lock free, so it does not wait. What could
block the loop is handed to a thread instead: a statement that finds the database busy all the same (another
program writing, a recovery) is run again there, waiting out the busy timeout; a transaction that has had 5 ms of
the loop goes on there (a reviewer's 考场编排 of 20,000 rows); bulk inserts and scripts always run there. The
WAL's checkpoints, which SQLite would run inside a COMMIT (copying pages and syncing the file), run in a thread
of their own after commits, at most once a second (`wal_autocheckpoint=0` on this connection).

Selected by db.config for sqlite:// URLs (engine "db.sqlite_engine").
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import Sequence

import anyio.to_thread
from tortoise.backends.base.client import ConnectionWrapper
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

_READS = ("SELECT", "select")
IN_LOOP_BUDGET = 0.005  # seconds of the event loop a transaction's statements may take before going to a thread
CHECKPOINT_EVERY = 1.0  # seconds: at most one WAL checkpoint (in a thread) per process in this time
log = logging.getLogger(__name__)


def _busy(exc: sqlite3.OperationalError) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


class _Cursor:
    """What LoopConnection.execute answers: enough of aiosqlite's Cursor for Tortoise (which closes it)."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor):
        self._cursor = cursor

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class LoopConnection:
    """The methods of aiosqlite's Connection that Tortoise's SqliteClient calls, on a sqlite3 connection used in
    the event loop's thread (see the module's docstring). Tortoise's connection lock lets one statement at a time
    use it, in the loop or in a thread."""

    def __init__(self, conn: sqlite3.Connection, busy_ms: int, database: str):
        self._conn = conn
        self.busy_ms = busy_ms
        self.database = database
        self._spent = 0.0  # seconds of the loop taken by the open transaction's statements
        self._checkpointed = time.monotonic()
        self._checkpointing: asyncio.Future | None = None

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    async def _run(self, fn, *args, thread: bool = False):
        if not self._conn.in_transaction:
            self._spent = 0.0
        answer, done = None, False
        if not thread and self._spent < IN_LOOP_BUDGET:
            started = time.perf_counter()
            try:
                answer, done = fn(*args), True
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            finally:
                self._spent += time.perf_counter() - started
        if not done:
            answer = await anyio.to_thread.run_sync(self._waiting, fn, args)
        if not self._conn.in_transaction:  # committed (or a statement on its own): the WAL may want a checkpoint
            self._written()
        return answer

    def _waiting(self, fn, args):
        """In a thread: the statement with SQLite's busy timeout (the loop's own statements never wait)."""
        self._conn.execute(f"PRAGMA busy_timeout={self.busy_ms}")
        try:
            return fn(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    def _written(self) -> None:
        """Outside a transaction (after a commit): a WAL checkpoint in a thread, if none ran this last second."""
        now = time.monotonic()
        if self.database == ":memory:" or now - self._checkpointed < CHECKPOINT_EVERY or self._checkpointing:
            return
        self._checkpointed = now
        self._checkpointing = asyncio.get_running_loop().run_in_executor(None, _checkpoint, self.database)
        self._checkpointing.add_done_callback(self._checkpoint_done)

    def _checkpoint_done(self, future: asyncio.Future) -> None:
        self._checkpointing = None
        if not future.cancelled() and future.exception() is not None:
            log.warning("WAL checkpoint failed: %s", future.exception())

    async def execute(self, sql: str, parameters=None) -> _Cursor:
        return _Cursor(await self._run(self._conn.execute, sql, parameters or ()))

    async def execute_insert(self, sql: str, parameters=None):
        return await self._run(_insert, self._conn, sql, parameters or ())

    async def execute_fetchall(self, sql: str, parameters=None) -> list:
        return await self._run(_fetchall, self._conn, sql, parameters or ())

    async def executemany(self, sql: str, parameters) -> None:
        await self._run(self._conn.executemany, sql, parameters, thread=True)

    async def executescript(self, script: str) -> None:
        await self._run(self._conn.executescript, script, thread=True)

    async def commit(self) -> None:
        await self._run(self._conn.commit)

    async def rollback(self) -> None:
        await self._run(self._conn.rollback)

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.shield(self._checkpointing)
        self._conn.close()


def _insert(conn: sqlite3.Connection, sql: str, parameters):
    """(the new row's id,) as aiosqlite's execute_insert answers, from the cursor instead of a second statement."""
    return (conn.execute(sql, parameters).lastrowid,)


def _fetchall(conn: sqlite3.Connection, sql: str, parameters) -> list:
    return conn.execute(sql, parameters).fetchall()


def _checkpoint(database: str) -> None:
    """PASSIVE: copies what it can without waiting for readers or writers (a connection of its own, in a thread)."""
    conn = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.OperationalError as exc:
        if not _busy(exc):
            raise
    finally:
        conn.close()


class WriteLock:
    """The database file's write lock across processes (flock on a file beside it)."""

    def __init__(self, database: str):
        self.path = None if database == ":memory:" else os.path.abspath(database) + ".write-lock"
        self.fd: int | None = None

    async def acquire(self) -> None:
        if self.path is None:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: no thread hop
        except BlockingIOError:  # another process writes: wait in a thread, woken when it releases
            await anyio.to_thread.run_sync(fcntl.flock, self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Waits:
    """How long the process's statements waited for the database (its own queue and the other processes'), the
    longest of the last moment: web.admission reads it as the queue of changes."""

    def __init__(self):
        self.longest = 0.0

    def waited(self, seconds: float) -> None:
        if seconds > self.longest:
            self.longest = seconds

    def take(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


WAITS = Waits()  # per process, like the connection it measures


class _Locked(ConnectionWrapper):
    """The connection, for one statement: the process's lock, then the file's write lock."""

    __slots__ = ("write_lock",)

    def __init__(self, lock, client, write_lock: WriteLock):
        super().__init__(lock, client)
        self.write_lock = write_lock

    async def __aenter__(self):
        started = time.monotonic()
        connection = await super().__aenter__()
        try:
            await self.write_lock.acquire()
        except BaseException:
            self._lock.release()
            raise
        WAITS.waited(time.monotonic() - started)
        return connection

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        try:
            self.write_lock.release()
        finally:
            await super().__aexit__(exc_type, exc_val, exc_tb)


class _LockedTransaction(SqliteTransactionContext):
    """A transaction (Tortoise's SqliteTransactionContext): the process's lock, then the file's write lock,
    BEGIN ... COMMIT (or ROLLBACK), then the write lock released, then the process's lock."""

    def __init__(self, connection, trxlock, write_lock: WriteLock):
        super().__init__(connection, trxlock)
        self.write_lock = write_lock

    async def __aenter__(self):
        started = time.monotonic()
        await self._trxlock.acquire()
        try:
            await self.write_lock.acquire()
            WAITS.waited(time.monotonic() - started)
            try:
                await self.ensure_connection()
                self.token = get_connections().set(self.connection_name, self.connection)
                await self.connection.begin()
            except BaseException:
                self.write_lock.release()
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        try:
            if not self.connection._finalized:
                if exc_type:
                    if exc_type is not TransactionManagementError:  # a failed transaction cannot roll back
                        await self.connection.rollback()
                else:
                    await self.connection.commit()
        finally:
            get_connections().reset(self.token)
            self.write_lock.release()
            self._trxlock.release()


class InLoopReadsClient(SqliteClient):
    def __init__(self, file_path: str, **kwargs):
        super().__init__(file_path, **kwargs)
        self._reader: sqlite3.Connection | None = None
        self._write_lock = WriteLock(file_path)

    async def create_connection(self, with_db: bool) -> None:
        """Tortoise's SqliteClient.create_connection, with a LoopConnection instead of aiosqlite's."""
        if self._connection:
            return
        conn = sqlite3.connect(self.filename, isolation_level=None, check_same_thread=False, timeout=0)
        conn.row_factory = sqlite3.Row
        pragmas = {k: v for k, v in self.pragmas.items() if k != "busy_timeout"}
        self._connection = LoopConnection(conn, int(self.pragmas.get("busy_timeout", 5000)), self.filename)
        for pragma, val in {**pragmas, "busy_timeout": 0, "wal_autocheckpoint": 0}.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={val}")
            await cursor.close()
        await self._post_connect()

    def acquire_connection(self) -> ConnectionWrapper:
        return _Locked(self._lock, self, self._write_lock)

    def _in_transaction(self):
        return _LockedTransaction(SqliteTransactionWrapper(self), self._lock, self._write_lock)

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
        self._write_lock.close()


client_class = InLoopReadsClient
