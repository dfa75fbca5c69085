"""Idle expiry (issue 11, defect 11): last-seen is written often enough for the idle limit to hold to within a
quarter of it, however short the limit."""
from datetime import timedelta

from models.accounts import Account, Session
from services.accounts import sessions
from services.clock import now
from tests.factories import mainland_id


async def session_row(at):
    account = await Account.create(id_type="mainland", id_number=mainland_id(), name="张三", phone="13800138000",
                                   password_hash="x")
    return await Session.create(id=sessions.sid_hash("sid"), account=account, created_at=at, last_seen_at=at)


async def test_a_user_active_every_forty_seconds_stays_with_a_one_minute_idle_limit(clean_db):
    start = now()
    await session_row(start)
    for seconds in range(40, 401, 40):  # a request every 40 s for almost 7 minutes
        row = await Session.get(id=sessions.sid_hash("sid"))
        assert await sessions.keep_alive(row, start + timedelta(seconds=seconds), idle_seconds=60,
                                         max_seconds=12 * 3600), f"logged out at {seconds} s"
    # Then 61 s without a request: the session ends.
    row = await Session.get(id=sessions.sid_hash("sid"))
    assert not await sessions.keep_alive(row, row.last_seen_at + timedelta(seconds=61), idle_seconds=60,
                                         max_seconds=12 * 3600)
    assert not await Session.exists()


def test_last_seen_is_written_at_most_once_a_minute_and_four_times_per_idle_limit():
    assert sessions.touch_interval(30 * 60) == 60  # the default: once a minute, as before
    assert sessions.touch_interval(60) == 15
    assert sessions.touch_interval(120) == 30


async def test_a_request_soon_after_the_last_write_changes_nothing(clean_db):
    start = now()
    row = await session_row(start)
    assert await sessions.keep_alive(row, start + timedelta(seconds=10), idle_seconds=60, max_seconds=3600)
    assert (await Session.get(id=row.id)).last_seen_at == row.last_seen_at
