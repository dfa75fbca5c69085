"""The one read path for SQL that is not the ORM's own awaits.

Ordinary reads use the ORM (`await Model.filter(...)`). The reads that every request makes (the session,
the candidate's application, site places, the reviewers' queue) come here instead, through `Reads`, one
object per process created in the app's lifespan:

- `session(sid_hash)`: the session row with its account or reviewer, as models, and the account's unread 消息;
- `find(Model, order=(...), limit=N, **equal)` / `first(Model, **equal)`: whole rows by equality on columns,
  optionally ordered ("-created_at": descending) and limited, as models;
- `columns(Model, names, **equal)`: some columns by equality, as dicts;
- `values(queryset.values(...))`: any ORM values() query, as the ORM would answer it;
- `passed_subjects(account_id, min_tenths, now)`: the subjects an account passed in published scores (选择考试
  and each 进入 ask, six times a journey; the ORM's four-join filter cost 390 µs to build, this 30 µs);
- `ping()`: whether the database answers (GET /healthz).

On SQLite they run on a read-only connection in the event loop's thread: a primary-key read in WAL mode
takes microseconds, less than aiosqlite's hop to its own thread, which under load also waits for the GIL
behind the event loop. Elsewhere (PostgreSQL) they run as prepared SQL on the ORM's connection pool.

One behaviour on a busy or missing SQLite file: the read goes to the ORM's connection instead (which waits
out the busy timeout), so callers never see the difference. No SQL text outside the ORM lives anywhere else.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
from datetime import date, datetime
from typing import Callable, TypeVar

from tortoise import connections
from tortoise.fields import BooleanField, DateField, DatetimeField, JSONField
from tortoise.models import Model

from models.accounts import Account, Reviewer, Session
from models.notifications import Notification

M = TypeVar("M", bound=Model)


class Reads:
    def __init__(self, database_url: str):
        self.sqlite_path = None
        if database_url.startswith("sqlite://"):
            path = database_url[len("sqlite://"):].split("?")[0]
            self.sqlite_path = os.path.abspath(path) if path != ":memory:" else None
        self._conn: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ the typed interface

    async def session(self, sid_hash: str) -> Session | None:
        """The session row with `.account` and `.reviewer` set (one of them None), or None."""
        rows = await self._rows(_session_sql, (sid_hash,))
        if not rows:
            return None
        row = rows[0]
        session = Session._init_from_db(**_columns_of(row, "s", Session))
        a, r = _columns_of(row, "a", Account), _columns_of(row, "r", Reviewer)
        session.account = Account._init_from_db(**a) if a["id"] is not None else None
        session.reviewer = Reviewer._init_from_db(**r) if r["id"] is not None else None
        session.unread_messages = row["unread"] or 0  # the header's 消息 count, in the same statement
        return session

    async def find(self, model: type[M], *, order: tuple[str, ...] = (), limit: int | None = None,
                   **equal) -> list[M]:
        """Whole rows where each column equals its value (`find(Application, id=3, account_id=7)`), in `order`
        (column names, "-" first for descending), at most `limit`."""
        names = tuple(equal)
        columns = _all_columns(model)
        rows = await self._rows(lambda dialect: _select_sql(model, columns, names, dialect, order, limit),
                                tuple(equal.values()))
        parsers = _parsers(model, columns, temporal_only=True)
        return [model._init_from_db(**_parsed(row, parsers)) for row in rows]

    async def first(self, model: type[M], **equal) -> M | None:
        found = await self.find(model, **equal)
        return found[0] if found else None

    async def columns(self, model: type[Model], names: tuple[str, ...], **equal) -> list[dict]:
        """Some columns of the rows where each given column equals its value, as dicts."""
        keys = tuple(equal)
        rows = await self._rows(lambda dialect: _select_sql(model, names, keys, dialect), tuple(equal.values()))
        parsers = _parsers(model, names)
        return [_parsed(row, parsers) for row in rows]

    async def values(self, query) -> list[dict]:
        """An ORM `.values(...)` query, answered as the ORM would answer it (typed values by field)."""
        if self.sqlite_path is None:
            return await query
        query.sql()  # the ORM builds its SQL (and chooses its connection) ...
        sql, params = query.query.get_parameterized_sql()  # ... which we run on the read-only connection
        rows = self._direct(sql, params)
        if rows is None:
            return await query
        if rows:
            parsers = _parsers(query.model, tuple(rows[0]))
            rows = [_parsed(row, parsers) for row in rows]
        return rows

    async def passed_subjects(self, account_id: int, min_tenths: int, now: datetime) -> list[dict]:
        """{level, subject, year} of each score of at least `min_tenths` the account has in a published release."""
        return await self._rows(_passed_sql, (account_id, min_tenths, now))

    async def ping(self) -> bool:
        """Whether the database answers a trivial query on the ORM's connection (the one writes use)."""
        conn = connections.get("default")
        # On SQLite a SELECT outside a transaction is answered by a read-only connection (db/sqlite_engine.py):
        # a PRAGMA goes to the connection writes use.
        sql = "PRAGMA schema_version" if conn.capabilities.dialect == "sqlite" else "SELECT 1 AS one"
        try:
            await conn.execute_query_dict(sql)
        except Exception:  # any failure is an answer here: the database is not serving
            return False
        return True

    # ------------------------------------------------------------------ running SQL

    async def _rows(self, sql_for: Callable[[str], str], params: tuple) -> list[dict]:
        rows = self._direct(sql_for("sqlite"), params) if self.sqlite_path else None
        if rows is None:
            conn = connections.get("default")
            rows = await conn.execute_query_dict(sql_for(conn.capabilities.dialect), list(params))
        return rows

    def _direct(self, sql: str, params) -> list[dict] | None:
        """The rows from the read-only connection, or None when it cannot answer now (busy, or no file yet)."""
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=0.02,
                                             check_same_thread=False, isolation_level=None)
                self._conn.row_factory = sqlite3.Row
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]
        except sqlite3.Error:
            return None


# ---------------------------------------------------------------------- SQL, built once per shape


@functools.lru_cache(maxsize=64)
def _all_columns(model) -> tuple[str, ...]:
    return tuple(sorted(model._meta.db_fields))


def _quote(name: str) -> str:
    return f'"{name}"'


@functools.lru_cache(maxsize=256)
def _select_sql(model, names: tuple[str, ...], where: tuple[str, ...], dialect: str, order: tuple[str, ...] = (),
                limit: int | None = None) -> str:
    known = model._meta.db_fields
    ordered = tuple(o.lstrip("-") for o in order)
    if set(names) - known or set(where) - known or set(ordered) - known:
        unknown = (set(names) | set(where) | set(ordered)) - known
        raise ValueError(f"not columns of {model.__name__}: {sorted(unknown)}")
    marks = [f"${i + 1}" if dialect == "postgres" else "?" for i in range(len(where))]
    condition = " AND ".join(f"{_quote(w)} = {m}" for w, m in zip(where, marks)) or "1 = 1"
    sql = f'SELECT {", ".join(map(_quote, names))} FROM {_quote(model._meta.db_table)} WHERE {condition}'
    if order:
        sql += " ORDER BY " + ", ".join(_quote(o.lstrip("-")) + (" DESC" if o.startswith("-") else " ASC")
                                        for o in order)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql


@functools.lru_cache(maxsize=4)
def _session_sql(dialect: str) -> str:
    """One statement for the session, its account or reviewer, and the account's unread 消息 (the header shows
    the count on every page; an index on (account_id, read_at) answers it): this runs on every logged-in request,
    and a second query for the count cost more than this whole one."""
    cols = []
    for alias, model in (("s", Session), ("a", Account), ("r", Reviewer)):
        cols += [f'{alias}."{c}" AS "{alias}__{c}"' for c in _all_columns(model)]
    table = Notification._meta.db_table
    cols.append(f'(SELECT COUNT(*) FROM "{table}" n WHERE n."account_id" = s."account_id" '
                f'AND n."read_at" IS NULL) AS "unread"')
    mark = "$1" if dialect == "postgres" else "?"
    return (f'SELECT {", ".join(cols)} FROM "session" s LEFT JOIN "account" a ON a."id" = s."account_id" '
            f'LEFT JOIN "reviewer" r ON r."id" = s."reviewer_id" WHERE s."id" = {mark}')


@functools.lru_cache(maxsize=4)
def _passed_sql(dialect: str) -> str:
    a, m, n = ("$1", "$2", "$3") if dialect == "postgres" else ("?", "?", "?")
    return ('SELECT e."level" AS "level", sc."subject" AS "subject", e."year" AS "year" FROM "score" sc '
            'JOIN "application" ap ON ap."id" = sc."application_id" JOIN "exam" e ON e."id" = sc."exam_id" '
            'JOIN "score_release" sr ON sr."exam_province_id" = sc."exam_province_id" '
            f'WHERE ap."account_id" = {a} AND sc."tenths" >= {m} AND sr."published_at" <= {n}')


# ---------------------------------------------------------------------- typing the values


def _field_of(model, path: str):
    """The ORM field behind a column name or a values() path such as "site__city__code", or None."""
    *hops, last = path.split("__")
    for hop in hops:
        field = model._meta.fields_map.get(hop)
        if field is None or not hasattr(field, "related_model"):
            return None
        model = field.related_model
    by_column = {f.source_field or name: f for name, f in model._meta.fields_map.items()}
    return model._meta.fields_map.get(last) or by_column.get(last)


def _parser(field, temporal_only: bool) -> Callable | None:
    """SQLite answers dates as text, booleans as 0/1 and JSON as text: turn them into what the ORM gives.
    (The C fromisoformat is about 50 times faster than the parser Tortoise would use; a model built by
    _init_from_db converts its booleans and JSON itself.)"""
    if isinstance(field, DatetimeField):
        return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
    if isinstance(field, DateField):
        return lambda v: date.fromisoformat(v) if isinstance(v, str) else v
    if temporal_only:
        return None
    if isinstance(field, BooleanField):
        return lambda v: bool(v) if v is not None else v
    if isinstance(field, JSONField):
        return lambda v: json.loads(v) if isinstance(v, (str, bytes)) else v
    return None


@functools.lru_cache(maxsize=512)
def _parsers(model, names: tuple[str, ...], temporal_only: bool = False) -> tuple[tuple[str, Callable], ...]:
    out = []
    for name in names:
        parse = _parser(_field_of(model, name), temporal_only)
        if parse is not None:
            out.append((name, parse))
    return tuple(out)


def _parsed(row: dict, parsers) -> dict:
    for name, parse in parsers:
        if name in row:
            row[name] = parse(row[name])
    return row


def _columns_of(row: dict, alias: str, model) -> dict:
    prefix = alias + "__"
    out = {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}
    return _parsed(out, _parsers(model, _all_columns(model), temporal_only=True))
