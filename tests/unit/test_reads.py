"""db.reads, the one read path outside the ORM's awaits: it answers as the ORM does, and a busy or missing
SQLite file changes nothing for the caller (the ORM's connection answers instead)."""
import sqlite3
from datetime import date, datetime

import pytest

from db.reads import Reads
from models.accounts import Account, Session
from services import clock
from services.accounts.sessions import sid_hash
from tests.factories import mainland_id


@pytest.fixture
async def rows(clean_db):
    t = clock.now()
    account = await Account.create(id_type="mainland", id_number=mainland_id(), name="张三丰", phone="13800138000",
                                   password_hash="x", birth_date=date(1990, 3, 7), realname_at=t)
    await Session.create(id=sid_hash("sid"), account=account, created_at=t, last_seen_at=t)
    return account


class Busy:
    """A read-only connection that answers like a SQLite file in the middle of a checkpoint."""

    def execute(self, *args):
        raise sqlite3.OperationalError("database is locked")

    def close(self):
        pass


def readers(settings):
    normal = Reads(settings.database_url)
    busy = Reads(settings.database_url)
    busy._conn = Busy()
    missing = Reads("sqlite:///nonexistent-folder/kjks.sqlite3")  # no such file: the ORM's connection answers
    return [normal, busy, missing]


async def test_every_read_answers_as_the_orm_does_busy_or_not(rows, settings):
    expected = await Account.get(id=rows.id)
    query = Account.filter(id=rows.id).values("id", "name", "birth_date", "realname_at", "wechat_openid")
    for reads in readers(settings):
        found = await reads.first(Account, id=rows.id, phone="13800138000")
        assert (found.name, found.birth_date, found.realname_at) == (expected.name, date(1990, 3, 7),
                                                                     expected.realname_at)
        assert isinstance(found.realname_at, datetime) and found.realname_at.tzinfo is not None
        assert await reads.find(Account, phone="13900000000") == []
        assert await reads.columns(Account, ("id", "birth_date"), id=rows.id) == [
            {"id": rows.id, "birth_date": date(1990, 3, 7)}]
        assert await reads.values(query) == await query
        session = await reads.session(sid_hash("sid"))
        assert session.account.id == rows.id and session.reviewer is None and session.unread_messages == 0
        assert await reads.session(sid_hash("other")) is None
        reads.close()


async def test_only_columns_of_the_model_are_read(rows, settings):
    reads = Reads(settings.database_url)
    with pytest.raises(ValueError):
        await reads.find(Account, password="x")
    reads.close()
