"""Transactions that change more than one row: one lock order, and a retry when the database aborts one.

**Lock order.** Every transaction that changes more than one row takes its row locks in this order, so that two
of them never wait for each other in a circle (a deadlock):

1. the account row, then what belongs to the account: its 实名认证 requests (submission, decision), its WeChat
   login (binding), its sessions and login names (password reset); for 信息采集, a 学历 entry before the record;
2. the application row, then its materials, then the site, then its orders and their notifications (the
   wizard's changes, 提交, 重新报名, reopening a rejection, 审核, a payment).

No transaction holds rows of both groups.

A transaction that has to change an earlier row after finding it through a later one (a payment notification
knows the order, then the application) takes the earlier row's lock first, with `lock()`.

**Retry.** PostgreSQL may still abort a transaction as a deadlock (SQLSTATE 40P01) or a serialization failure
(40001), and SQLite answers "database is locked" when another process holds the file longer than the busy timeout
or a transaction that began by reading has to write after another process wrote. `atomic(work)` runs `work()` in
one transaction and, when the database aborted it so, rolls it back and runs it again after a short random pause
(ATTEMPTS times at most). `work` must change nothing but rows (no file, no outside call), since it may run more
than once. Inside another transaction `atomic` is part of that one: only the outermost transaction retries.
"""
from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from typing import Awaitable, Callable, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import OperationalError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

T = TypeVar("T")
log = logging.getLogger("kjks.db")

ATTEMPTS = 5
PAUSE = 0.02  # seconds: the first pause before a retry is random up to this, doubled at each attempt
RETRY_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure (PostgreSQL)
SQLITE_BUSY = ("database is locked", "database table is locked")


def retryable(error: BaseException | None) -> bool:
    """Whether the database aborted the transaction for a reason that running it again can get past."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if getattr(error, "sqlstate", None) in RETRY_SQLSTATES:
            return True
        if isinstance(error, (sqlite3.OperationalError, OperationalError)) and any(
                message in str(error) for message in SQLITE_BUSY):
            return True
        error = error.__cause__ or error.__context__
    return False


def _inside_transaction() -> bool:
    return isinstance(connections.get("default"), TransactionalDBClient)


async def atomic(work: Callable[[], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    """Run `work()` in one transaction and return what it returned; retried when the database aborted it as a
    deadlock or a serialization failure (see above). Any other exception rolls it back and propagates."""
    if _inside_transaction():
        async with in_transaction():
            return await work()
    for attempt in range(1, attempts + 1):
        try:
            async with in_transaction():
                return await work()
        except Exception as error:
            if attempt == attempts or not retryable(error):
                raise
            log.info("transaction aborted by the database (%s), attempt %d of %d", type(error).__name__, attempt,
                     attempts)
        await asyncio.sleep(random.uniform(0, PAUSE * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


def _plain_column(model: type[Model]) -> str:
    meta = model._meta
    return next(name for name, field in meta.fields_map.items()
                if name in meta.fields_db_projection and not field.pk and not field.unique)


async def lock(model: type[Model], **where) -> int:
    """Take the lock of the rows of `model` that match `where` (filter arguments), until the transaction ends:
    an UPDATE that sets a column to itself. On PostgreSQL it holds the rows as any update does; on SQLite it takes
    the database's write lock at once, so the transaction never has to turn a read into a write. Returns the
    number of rows (0: there is none)."""
    column = _plain_column(model)
    return await model.filter(**where).update(**{column: F(column)})
