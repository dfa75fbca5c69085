"""Server-side sessions: the rows behind the `sid` cookie (its SHA-256, never the id itself).

A row exists only while someone is logged in. It ends after SESSION_IDLE_MINUTES without a request, after
SESSION_MAX_HOURS in all, at logout, and at a password reset (every session of the account). The HTTP side
(the cookie, rotating the id at login) is web.sessions; these are the row changes.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tortoise.expressions import Q

from models.accounts import Account, Reviewer, Session

TOUCH_EVERY = 60  # seconds: last_seen_at is written at most once a minute per session...
TOUCH_SHARE = 4  # ...and at least four times per idle limit, so a short limit still counts every request


def touch_interval(idle_seconds: int) -> float:
    """How stale last_seen_at may get before a request writes it again: a request within the idle limit of the
    previous one keeps the session, to within this much (a quarter of the limit, a minute at most)."""
    return min(TOUCH_EVERY, idle_seconds / TOUCH_SHARE)


def sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


async def keep_alive(row: Session, now: datetime, *, idle_seconds: int, max_seconds: int) -> bool:
    """Whether the session is still valid now: an expired one is deleted, a live one has its last-seen time
    moved forward (at most once per touch_interval)."""
    idle = (now - row.last_seen_at).total_seconds()
    if idle > idle_seconds or (now - row.created_at).total_seconds() > max_seconds:
        await Session.filter(id=row.id).delete()
        return False
    if idle > touch_interval(idle_seconds):
        await Session.filter(id=row.id).update(last_seen_at=now)  # a later touch by another request is as good
    return True


async def start(old_sid_hash: str, new_sid_hash: str, now: datetime, *, account: Account | None = None,
                reviewer: Reviewer | None = None) -> Session:
    """Log in under a new session id: the browser's old session (if any) is dropped, against fixation."""
    if (account is None) == (reviewer is None):
        raise ValueError("a session belongs to one account or one reviewer")
    await Session.filter(id=old_sid_hash).delete()
    return await Session.create(id=new_sid_hash, account=account, reviewer=reviewer, created_at=now,
                                last_seen_at=now)


async def end(sid_hash_: str) -> bool:
    """Log out. Returns whether a session ended (False when there was none)."""
    return bool(await Session.filter(id=sid_hash_).delete())


async def end_all(account_id: int) -> int:
    """Every session of an account (after a password reset). Returns how many ended."""
    return await Session.filter(account_id=account_id).delete()


def expired(now: datetime, *, idle_seconds: int, max_seconds: int) -> Q:
    """The sessions keep_alive would end: idle too long, or too old (purged by services.accounts.housekeeping)."""
    return Q(last_seen_at__lt=now - timedelta(seconds=idle_seconds)) | Q(
        created_at__lt=now - timedelta(seconds=max_seconds))
