"""Who is logged in, logging in and out, and the guards every protected view starts with.

The middleware loads the session before any view runs (`load`), so `current_session(request)` and the
templates' `me` always know who is logged in. A candidate session carries `.account`, a reviewer session
`.reviewer`. The guards raise an HTTPException that web.errors turns into the redirect or the 403 page.
"""
from __future__ import annotations

import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request

from models.accounts import Account, Reviewer, Session
from services import clock
from services.accounts import realname, sessions
from services.registration import applications
from web.forms import safe_next


async def load(app_state, sid_hash: str) -> Session | None:
    """The live session of this cookie, or None (an expired session is ended here)."""
    row = await app_state.reads.session(sid_hash)
    if row is None:
        return None
    settings = app_state.settings
    alive = await sessions.keep_alive(row, clock.now(), idle_seconds=settings.session_idle_seconds,
                                      max_seconds=settings.session_max_seconds)
    return row if alive else None  # with row.unread_messages, the header's 消息 count (read with the row)


def current_session(request: Request) -> Session | None:
    return request.state.session


def current_account(request: Request) -> Account | None:
    row = request.state.session
    return row.account if row is not None and row.account_id else None


def current_reviewer(request: Request) -> Reviewer | None:
    row = request.state.session
    return row.reviewer if row is not None and row.reviewer_id else None


async def log_in(request: Request, *, account: Account | None = None, reviewer: Reviewer | None = None) -> Session:
    """Start a session under a new id (the cookie is rotated on the response, against session fixation)."""
    sid = secrets.token_urlsafe(32)
    row = await sessions.start(request.state.sid_hash, sessions.sid_hash(sid), clock.now(), account=account,
                               reviewer=reviewer)
    row.account, row.reviewer = account, reviewer
    request.state.set_sid = sid
    request.state.sid_hash = row.id
    request.state.session = row
    return row


async def log_out(request: Request) -> None:
    await sessions.end(request.state.sid_hash)
    request.state.set_sid = secrets.token_urlsafe(32)
    request.state.session = None


# ---------------------------------------------------------------------- guards


def login_required(request: Request) -> Account:
    """A logged-in candidate, else a redirect to 登录 that comes back here."""
    account = current_account(request)
    if account is None:
        raise HTTPException(303, headers={"Location": f"/login?next={safe_next(request.url.path)}"})
    return account


def verified_candidate(request: Request) -> Account:
    """Logged in and 实名认证 passed: 信息采集 and exam registration need both (else the 实名认证 window)."""
    account = login_required(request)
    if not realname.is_verified(account):
        raise HTTPException(303, headers={"Location": "/realname?next=/profile"})
    return account


def reviewer_required(request: Request) -> Reviewer:
    """A reviewer's session: a candidate gets 403, anyone else the board's login page."""
    row = request.state.session
    if row is not None and row.account_id:
        raise HTTPException(403, "审核功能仅限审核人员使用")
    if row is None or not row.reviewer_id:
        raise HTTPException(303, headers={"Location": "/review"})
    return row.reviewer


async def own_application(request: Request):
    """A verified candidate and their own application named by the URL's `app_id` (with its exam and its
    province's registration, None before one is chosen). Anyone else's application is 404."""
    account = verified_candidate(request)
    found = await applications.own(request.app.state.reads, request.app.state.reference, account.id,
                                   request.path_params["app_id"])
    if found is None:
        raise HTTPException(404)
    return account, *found
