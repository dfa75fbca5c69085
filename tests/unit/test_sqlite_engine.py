"""db/sqlite_engine.py: on SQLite the ORM's reads outside a transaction are answered by a read-only connection in
the event loop's thread; reads inside a transaction see its own writes; a reader that cannot answer falls back."""
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from db.sqlite_engine import InLoopReadsClient
from models.accounts import Account

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def client():
    conn = connections.get("default")
    if not isinstance(conn, InLoopReadsClient):
        pytest.skip("SQLite only: PostgreSQL's reads have no thread to hop to")
    return conn


def account(n: int) -> dict:
    return {"id_type": "mainland", "id_number": f"11010519900307{n:03d}X", "name": "张三",
            "phone": f"1380013{n:04d}", "password_hash": "x"}


async def test_reads_outside_a_transaction_come_from_the_loops_reader_as_the_orm_would(client):
    created = await Account.create(**account(1))
    client._reader = None
    found = await Account.get(id=created.id)
    assert client._reader is not None  # answered by the read-only connection
    assert (found.id_number, found.created_at) == (created.id_number, created.created_at)
    assert await Account.filter(name="张三").values_list("phone", flat=True) == [created.phone]


async def test_a_transaction_reads_its_own_writes_and_others_see_them_once_committed(client):
    async with in_transaction():
        await Account.create(**account(2))
        assert await Account.filter(phone="13800130002").exists()  # on the transaction's connection
    assert await Account.filter(phone="13800130002").exists()  # committed: the reader sees it


async def test_a_reader_that_cannot_answer_gives_the_query_to_aiosqlite(client):
    await Account.create(**account(3))
    client._read("SELECT 1", ())
    client._reader.close()  # any error of the read-only connection (busy, closed, missing file)
    assert await Account.filter(phone="13800130003").exists()
    assert client._reader is None  # a new one next time
    assert await Account.filter(phone="13800130003").exists() and client._reader is not None
