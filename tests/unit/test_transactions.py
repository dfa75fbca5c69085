"""db.transactions: a transaction the database aborts as a deadlock (or SQLite's busy file) runs again; any other
error does not; inside another transaction only the outermost retries."""
import asyncio
import os

import asyncpg
import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from db import transactions
from models.accounts import Account
from tests.factories import mainland_id


def test_deadlocks_serialization_failures_and_a_busy_sqlite_file_are_retryable():
    assert transactions.retryable(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))
    assert transactions.retryable(asyncpg.exceptions.SerializationError("could not serialize access"))
    try:
        try:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        except asyncpg.PostgresError as e:
            raise OperationalError(e) from e  # as an ORM layer may wrap it
    except OperationalError as wrapped:
        assert transactions.retryable(wrapped)
    assert transactions.retryable(OperationalError("database is locked"))
    assert not transactions.retryable(OperationalError("no such table: x"))
    assert not transactions.retryable(IntegrityError("UNIQUE constraint failed"))
    assert not transactions.retryable(ValueError("database is locked"))


async def accounts(n: int) -> list[int]:
    return [(await Account.create(id_type="mainland", id_number=mainland_id(f"1101051990030{i:04d}"), name="张三",
                                  phone=f"1390000{i:04d}", password_hash="x")).id for i in range(n)]


async def test_a_busy_database_is_tried_again_and_the_work_is_done_once(clean_db):
    (account_id,) = await accounts(1)
    runs = []

    async def work():
        runs.append(1)
        await Account.filter(id=account_id).update(name=f"李{len(runs)}")
        if len(runs) == 1:
            raise OperationalError("database is locked")  # rolls the first run back
        return "done"

    assert await transactions.atomic(work) == "done"
    assert len(runs) == 2 and (await Account.get(id=account_id)).name == "李2"


async def test_other_errors_roll_back_and_are_not_tried_again(clean_db):
    (account_id,) = await accounts(1)
    runs = []

    async def work():
        runs.append(1)
        await Account.filter(id=account_id).update(name="李四")
        raise ValueError("refused")

    with pytest.raises(ValueError):
        await transactions.atomic(work)
    assert len(runs) == 1 and (await Account.get(id=account_id)).name == "张三"


async def test_it_gives_up_after_its_attempts(clean_db):
    runs = []

    async def work():
        runs.append(1)
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        await transactions.atomic(work, attempts=3)
    assert len(runs) == 3


async def test_inside_another_transaction_only_the_outermost_retries(clean_db):
    (account_id,) = await accounts(1)
    inner_runs, outer_runs = [], []

    async def inner():
        inner_runs.append(1)
        if len(inner_runs) == 1:
            raise OperationalError("database is locked")

    async def outer():
        outer_runs.append(1)
        await Account.filter(id=account_id).update(name=f"王{len(outer_runs)}")
        await transactions.atomic(inner)

    await transactions.atomic(outer)
    assert len(outer_runs) == 2 and len(inner_runs) == 2
    assert (await Account.get(id=account_id)).name == "王2"


async def test_lock_holds_a_row_and_says_whether_there_was_one(clean_db):
    (account_id,) = await accounts(1)

    async def work():
        return await transactions.lock(Account, id=account_id), await transactions.lock(Account, id=account_id + 99)

    assert await transactions.atomic(work) == (1, 0)
    assert (await Account.get(id=account_id)).name == "张三"  # nothing changed


ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite has one writer: it cannot deadlock")
async def test_a_real_deadlock_on_postgresql_is_retried_and_both_transactions_commit(clean_db):
    """Two transactions taking two rows in opposite orders: PostgreSQL aborts one, which runs again."""
    a, b = await accounts(2)
    runs = []
    has_first = {a: asyncio.Event(), b: asyncio.Event()}

    def crosswise(first: int, second: int):
        async def work():
            runs.append(first)
            await transactions.lock(Account, id=first)
            has_first[first].set()
            await asyncio.wait_for(has_first[second].wait(), 5)
            await Account.filter(id=second).update(name=f"由{first}")
        return work

    await asyncio.gather(transactions.atomic(crosswise(a, b)), transactions.atomic(crosswise(b, a)))
    assert len(runs) == 3  # one of the two ran twice
    names = {x.id: x.name for x in await Account.all()}
    assert names == {a: f"由{b}", b: f"由{a}"}
