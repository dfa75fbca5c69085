"""Housekeeping (issue 11, defect 9): what anonymous requests leave is purged once it can no longer change an
answer, what is still live is kept, and several processes may run the job at once."""
import asyncio
from datetime import timedelta

from models.accounts import (Account, Captcha, LoginFailure, LoginLock, RateWindow, Session, SmsCode, SmsThrottle,
                             WechatLogin)
from models.profiles import AlipayAttempt
from models.sandbox import AlipayCertification, SmsOutbox, WechatGrant
from services import clock
from services.accounts import housekeeping, login, sessions, wechat
from services.clock import now
from tests.factories import mainland_id

IDLE, MAX = 30 * 60, 12 * 3600


async def rows(t):
    """For each table, one row that can go and one that must stay (by name)."""
    account = await Account.create(id_type="mainland", id_number=mainland_id(), name="张三", phone="13800138000",
                                   password_hash="x")
    await Captcha.create(sid="gone", answer_hash="h", expires_at=t - timedelta(seconds=1))
    await Captcha.create(sid="kept", answer_hash="h", expires_at=t + timedelta(minutes=2))
    await WechatLogin.create(state="gone", sid="s", created_at=t - timedelta(minutes=11),
                             expires_at=t - wechat.QR_TTL - timedelta(seconds=1))
    await WechatLogin.create(state="kept", sid="s", status="bind", openid="o", created_at=t - timedelta(minutes=6),
                             expires_at=t - timedelta(minutes=1))  # may still bind (may_bind's grace)
    await SmsCode.create(phone="gone", purpose="reset", code_hash="h", created_at=t - timedelta(days=2),
                         expires_at=t - timedelta(days=1, seconds=1))
    await SmsCode.create(phone="kept", purpose="reset", code_hash="h", created_at=t - timedelta(minutes=5),
                         expires_at=t - timedelta(minutes=2))  # expired: still says 已过期 for a while
    yesterday = clock.china_date(t) - timedelta(days=1)
    await SmsThrottle.create(phone="gone", last_sent_at=t - timedelta(days=1), day=yesterday, sent_today=3)
    await SmsThrottle.create(phone="kept", last_sent_at=t - timedelta(minutes=5), day=clock.china_date(t),
                             sent_today=9)  # today's count still limits
    await RateWindow.create(key="gone", count=20, until=t - timedelta(seconds=1))
    await RateWindow.create(key="kept", count=20, until=t + timedelta(minutes=5))
    await LoginFailure.create(ip="gone", at=t - login.IP_WINDOW - timedelta(seconds=1))
    await LoginFailure.create(ip="kept", at=t - timedelta(minutes=1))
    await LoginLock.create(key="gone", failures=2, failed_at=t - timedelta(hours=2))
    await LoginLock.create(key="kept", failures=0, failed_at=t - timedelta(hours=2),
                           locked_until=t + timedelta(minutes=5))  # locked now
    await AlipayAttempt.create(certify_id="gone", account=account, created_at=t - timedelta(days=3),
                               expires_at=t - timedelta(days=2))
    await AlipayAttempt.create(certify_id="kept", account=account, created_at=t, expires_at=t + timedelta(minutes=9))
    await Session.create(id="gone", account=account, created_at=t - timedelta(hours=1),
                         last_seen_at=t - timedelta(seconds=IDLE + 1))
    await Session.create(id="gone-old", account=account, created_at=t - timedelta(seconds=MAX + 1), last_seen_at=t)
    await Session.create(id="kept", account=account, created_at=t - timedelta(hours=1), last_seen_at=t)
    await SmsOutbox.create(phone="gone", code="1", text="t", sent_at=t - timedelta(days=2))
    await SmsOutbox.create(phone="kept", code="1", text="t", sent_at=t)
    await WechatGrant.create(code="gone", openid="o", expires_at=t - timedelta(days=2))
    await WechatGrant.create(code="kept", openid="o", expires_at=t + timedelta(minutes=5))
    await AlipayCertification.create(certify_id="gone", name="n", id_number="i", expires_at=t - timedelta(days=2))
    await AlipayCertification.create(certify_id="kept", name="n", id_number="i", expires_at=t + timedelta(minutes=5))


KEYS = {Captcha: "sid", WechatLogin: "state", SmsCode: "phone", SmsThrottle: "phone", RateWindow: "key",
        LoginFailure: "ip", LoginLock: "key", AlipayAttempt: "certify_id", Session: "id", SmsOutbox: "phone",
        WechatGrant: "code", AlipayCertification: "certify_id"}


async def remaining() -> dict[str, list[str]]:
    return {m._meta.db_table: sorted(await m.all().values_list(key, flat=True)) for m, key in KEYS.items()}


async def test_purge_deletes_what_is_over_and_keeps_what_still_counts(clean_db):
    t = now()
    await rows(t)
    deleted = await housekeeping.purge_expired(t, idle_seconds=IDLE, max_seconds=MAX)
    assert {table: ["kept"] for table in (await remaining())} == await remaining()
    assert deleted["session"] == 2 and sum(deleted.values()) == len(KEYS) + 1


async def test_several_processes_may_purge_at_once(clean_db):
    t = now()
    await rows(t)
    runs = await asyncio.gather(*(housekeeping.purge_expired(t, idle_seconds=IDLE, max_seconds=MAX) for _ in range(3)))
    assert sum(sum(r.values()) for r in runs) == len(KEYS) + 1  # each row deleted once, by one of them
    assert all(names == ["kept"] for names in (await remaining()).values())


async def test_the_job_keeps_running_through_a_failure(clean_db, monkeypatch):
    calls = []

    async def flaky(now_, **limits):
        calls.append(limits)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return {}

    monkeypatch.setattr(housekeeping, "purge_expired", flaky)
    job = asyncio.create_task(housekeeping.purge_forever(0.01, idle_seconds=IDLE, max_seconds=MAX))
    await asyncio.sleep(0.1)
    job.cancel()
    assert len(calls) >= 2 and calls[0] == {"idle_seconds": IDLE, "max_seconds": MAX}


async def test_an_expired_session_purged_is_the_one_keep_alive_would_end(clean_db):
    """One rule: the purge deletes exactly the sessions that keep_alive refuses."""
    t = now()
    await rows(t)
    for row in await Session.all():
        alive = await sessions.keep_alive(row, t, idle_seconds=IDLE, max_seconds=MAX)
        assert alive == (row.id == "kept")
    assert not await Session.filter(sessions.expired(t, idle_seconds=IDLE, max_seconds=MAX)).exists()
