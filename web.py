"""HTTP plumbing shared by every view: sessions, CSRF, security headers, request ids, rendering.

The cookie `sid` carries only a random session id signed with itsdangerous. Anonymous visitors have a
cookie but no row; a row in `session` exists only while someone is logged in, and it ends after
SESSION_IDLE_MINUTES without a request, after SESSION_MAX_HOURS in all, or at logout.

CSRF: the token is an HMAC of the session id, so it needs no storage and changes when the session id
rotates at login. Every POST/PUT/PATCH/DELETE must carry it, in the `X-CSRF-Token` header (htmx sends it
from the `hx-headers` of <body>) or in the `csrf_token` form field (plain forms).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import uuid
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs

from itsdangerous import BadSignature, Signer
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates
from tortoise import connections

from models.accounts import Account, Reviewer, Session
from services.accounts.names import mask_name

log = logging.getLogger("kjks")

COOKIE = "sid"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_BODY = 30 * 1024 * 1024
TOUCH_EVERY = 60  # seconds: last_seen_at is written at most once a minute per session
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "same-origin"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --------------------------------------------------------------------------- middleware


class PlumbingMiddleware:
    """One pure-ASGI middleware (no BaseHTTPMiddleware: it costs a task per request).

    It reads or issues the session cookie, gives each request an id, refuses unsafe requests without a
    valid CSRF token (403, before any handler runs), and adds the security headers.
    """

    def __init__(self, app, settings, exempt_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.settings = settings
        self.signer = Signer(settings.secret_key, salt="sid")
        self.exempt = exempt_prefixes

    def _read_cookie(self, headers: dict[bytes, bytes]) -> str | None:
        raw = headers.get(b"cookie", b"").decode("latin-1")
        for part in raw.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value:
                try:
                    return self.signer.unsign(value).decode()
                except BadSignature:
                    return None
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        sid = self._read_cookie(headers)
        state = scope.setdefault("state", {})
        state["request_id"] = uuid.uuid4().hex[:12]
        state["new_sid"] = None
        if sid is None:
            sid = secrets.token_urlsafe(32)
            state["new_sid"] = sid
        state["sid_hash"] = sha256(sid)

        if scope["method"] in UNSAFE and not scope["path"].startswith(self.exempt):
            expected = csrf_token_for(self.settings.secret_key, state["sid_hash"])
            given = headers.get(b"x-csrf-token", b"").decode("latin-1")
            body_chunks: list[bytes] | None = None
            if not given:
                body_chunks, too_big = await _read_body(receive)
                if too_big:
                    return await _plain(send, 413, "上传内容过大")
                given = await _csrf_from_body(scope, b"".join(body_chunks))
            if state["new_sid"] or not hmac.compare_digest(given, expected):
                log.warning("csrf refused %s %s rid=%s", scope["method"], scope["path"], state["request_id"])
                return await _plain(send, 403, "页面已过期或请求无效（CSRF校验失败），请刷新页面后重试。")
            if body_chunks is not None:
                receive = _replay(body_chunks)

        settings = self.settings

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = message.setdefault("headers", [])
                h.extend((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
                h.append((b"x-request-id", state["request_id"].encode()))
                new = state.get("set_sid") or state["new_sid"]
                if new:
                    h.append((b"set-cookie", _cookie(self.signer.sign(new).decode(), settings).encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(value: str, settings) -> str:
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


async def _read_body(receive) -> tuple[list[bytes], bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return chunks, True
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return chunks, False


def _replay(chunks: list[bytes]):
    body = b"".join(chunks)
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _csrf_from_body(scope, body: bytes) -> str:
    ctype = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    if ctype.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token", [])
        return values[0] if len(values) == 1 else ""
    if ctype.startswith("multipart/form-data"):
        request = Request(dict(scope), _replay([body]))
        try:
            form = await request.form()
            values = form.getlist("csrf_token")
            await form.close()
            return values[0] if len(values) == 1 and isinstance(values[0], str) else ""
        except Exception:
            return ""
    return ""


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def csrf_token_for(secret: str, sid_hash: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{sid_hash}".encode(), hashlib.sha256).hexdigest()[:40]


# --------------------------------------------------------------------------- sessions


_SESSION_SQL: dict[str, str] = {}


def _session_sql(dialect: str) -> str:
    """One JOIN for the session and its account or reviewer, built once per dialect.

    This lookup runs on every logged-in request; Tortoise's query builder costs more than the query itself,
    so the SQL is prepared here and the rows become models through Tortoise's own _init_from_db.
    """
    if dialect not in _SESSION_SQL:
        cols = []
        for alias, model in (("s", Session), ("a", Account), ("r", Reviewer)):
            cols += [f'{alias}."{c}" AS "{alias}__{c}"' for c in model._meta.db_fields]
        mark = "$1" if dialect == "postgres" else "?"
        _SESSION_SQL[dialect] = (
            f'SELECT {", ".join(cols)} FROM "session" s LEFT JOIN "account" a ON a."id" = s."account_id" '
            f'LEFT JOIN "reviewer" r ON r."id" = s."reviewer_id" WHERE s."id" = {mark}'
        )
    return _SESSION_SQL[dialect]


def _temporal_columns(model) -> dict[str, type]:
    from tortoise.fields import DateField, DatetimeField

    return {f.source_field or name: (datetime if isinstance(f, DatetimeField) else date)
            for name, f in model._meta.fields_map.items() if isinstance(f, (DatetimeField, DateField))}


_TEMPORAL = {"s": _temporal_columns(Session), "a": _temporal_columns(Account), "r": _temporal_columns(Reviewer)}


def _split(row: dict, alias: str) -> dict:
    """The columns of one model. SQLite returns dates as text: the C fromisoformat is ~50x faster than the
    parser Tortoise would use, and Tortoise passes ready datetime objects through."""
    prefix, temporal = alias + "__", _TEMPORAL[alias]
    out = {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}
    for col, kind in temporal.items():
        if isinstance(out.get(col), str):
            out[col] = kind.fromisoformat(out[col])
    return out


class SqliteReader:
    """A read-only connection for the one lookup every logged-in request makes, on SQLite only.

    A primary-key read in WAL mode takes microseconds: cheaper in the event loop's thread than the thread
    hop aiosqlite needs for it. WAL readers never wait for writers; if the file is busy for another reason
    (a checkpoint), the short timeout fails over to the normal async path.
    """

    def __init__(self, database_url: str):
        path = database_url[len("sqlite://"):].split("?")[0]
        self.conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=0.02,
                                    check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row

    def fetch(self, sql: str, sid_hash: str) -> dict | None:
        row = self.conn.execute(sql, (sid_hash,)).fetchone()
        return dict(row) if row is not None else None

    def rows(self, sql: str, params) -> list[dict] | None:
        """The rows as dicts, or None when the file is busy: the caller then takes the ORM's async path."""
        try:
            return [dict(r) for r in self.conn.execute(sql, params).fetchall()]
        except sqlite3.Error:
            return None


_READ_SQL: dict[tuple, str] = {}


async def read_models(request: Request, model, where: str, params: tuple) -> list:
    """`SELECT <all columns> FROM <model's table> WHERE <where>` ("?" placeholders), as model instances.

    For the hot reads of the wizard: on SQLite through the read-only connection in the event loop's thread
    (no thread hop, no query builder), elsewhere as prepared SQL on the ORM's connection.
    """
    reader = getattr(request.app.state, "sqlite_reader", None)
    rows = reader.rows(_read_sql(model, where, "sqlite"), params) if reader is not None else None
    if rows is None:
        conn = connections.get("default")
        rows = await conn.execute_query_dict(_read_sql(model, where, conn.capabilities.dialect), list(params))
    temporal = _temporal_of(model)
    out = []
    for row in rows:
        for col, kind in temporal.items():
            if isinstance(row.get(col), str):
                row[col] = kind.fromisoformat(row[col])
        out.append(model._init_from_db(**row))
    return out


def _read_sql(model, where: str, dialect: str) -> str:
    key = (model, where, dialect)
    if key not in _READ_SQL:
        if dialect == "postgres":
            parts = where.split("?")
            where = "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))
        cols = ", ".join(f'"{c}"' for c in model._meta.db_fields)
        _READ_SQL[key] = f'SELECT {cols} FROM "{model._meta.db_table}" WHERE {where}'
    return _READ_SQL[key]


@functools.lru_cache(maxsize=None)
def _temporal_of(model) -> dict[str, type]:
    return _temporal_columns(model)


async def _fetch_session_row(sid_hash: str, reader: SqliteReader | None) -> dict | None:
    if reader is not None:
        try:
            return reader.fetch(_session_sql("sqlite"), sid_hash)
        except sqlite3.Error:
            pass
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_session_sql(conn.capabilities.dialect), [sid_hash])
    return rows[0] if rows else None


async def _load_session(sid_hash: str, reader: SqliteReader | None = None) -> Session | None:
    row = await _fetch_session_row(sid_hash, reader)
    if row is None:
        return None
    session = Session._init_from_db(**_split(row, "s"))
    a, r = _split(row, "a"), _split(row, "r")
    session.account = Account._init_from_db(**a) if a["id"] is not None else None
    session.reviewer = Reviewer._init_from_db(**r) if r["id"] is not None else None
    return session


async def current_session(request: Request) -> Session | None:
    """The logged-in session of this browser, or None. Cached on the request."""
    if "session_row" in request.state._state:
        return request.state.session_row
    row = None
    if not request.state.new_sid:
        row = await _load_session(request.state.sid_hash, getattr(request.app.state, 'sqlite_reader', None))
        if row is not None:
            settings = request.app.state.settings
            t = now()
            if (t - row.last_seen_at).total_seconds() > settings.session_idle_seconds or (
                t - row.created_at
            ).total_seconds() > settings.session_max_seconds:
                await Session.filter(id=row.id).delete()
                row = None
            elif (t - row.last_seen_at).total_seconds() > TOUCH_EVERY:
                await Session.filter(id=row.id).update(last_seen_at=t)
    request.state.session_row = row
    return row


async def current_account(request: Request) -> Account | None:
    row = await current_session(request)
    return row.account if row is not None and row.account_id else None


async def current_reviewer(request: Request) -> Reviewer | None:
    row = await current_session(request)
    return row.reviewer if row is not None and row.reviewer_id else None


async def start_session(request: Request, *, account: Account | None = None, reviewer: Reviewer | None = None) -> Session:
    """Log in: a new session id (the old one is dropped, against session fixation)."""
    await Session.filter(id=request.state.sid_hash).delete()
    sid = secrets.token_urlsafe(32)
    request.state.set_sid = sid
    t = now()
    row = await Session.create(id=sha256(sid), account=account, reviewer=reviewer, created_at=t, last_seen_at=t)
    request.state.sid_hash = row.id
    request.state.session_row = row
    return row


async def end_session(request: Request) -> None:
    await Session.filter(id=request.state.sid_hash).delete()
    request.state.set_sid = secrets.token_urlsafe(32)
    request.state.session_row = None


async def login_required(request: Request) -> Account:
    account = await current_account(request)
    if account is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return account


# --------------------------------------------------------------------------- rendering


def is_fragment_request(request: Request) -> bool:
    """htmx wants a fragment: HX-Request, but not a boosted navigation or a history restore."""
    h = request.headers
    return h.get("hx-request") == "true" and h.get("hx-boosted") != "true" and h.get("hx-history-restore-request") != "true"


class Renderer:
    def __init__(self, templates: Jinja2Templates, settings):
        self.templates = templates
        self.settings = settings

    def __call__(self, request: Request, page: str, context: dict | None = None, *, fragment: str | None = None,
                 status: int = 200, headers: dict | None = None) -> Response:
        ctx = dict(context or {})
        ctx.setdefault("csrf_token", csrf_token_for(self.settings.secret_key, request.state.sid_hash))
        row = request.state._state.get("session_row")
        ctx.setdefault("me", row.account if row is not None and row.account_id else None)
        ctx.setdefault("reviewer_me", row.reviewer if row is not None and row.reviewer_id else None)
        ctx.setdefault("settings", self.settings)
        name = fragment if fragment and is_fragment_request(request) else page
        response = self.templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)
        response.headers["Vary"] = "HX-Request"
        response.headers["Cache-Control"] = "no-store"
        return response


def render(request: Request, page: str, context: dict | None = None, **kwargs) -> Response:
    """Render with the app's Renderer: `fragment=` for the htmx response, `status=` for 422 and the like."""
    return request.app.state.render(request, page, context, **kwargs)


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form, HX-Redirect for htmx (a full navigation)."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


# --------------------------------------------------------------------------- forms


class Form:
    """Single-valued access to a posted form: a missing field is '', a repeated one is an error."""

    def __init__(self, data: FormData):
        self.data = data
        self.errors: dict[str, str] = {}

    def get(self, name: str, *, strip: bool = True) -> str:
        values = self.data.getlist(name)
        if len(values) > 1:
            self.errors[name] = "该项重复提交，请刷新页面后重新填写"
            return ""
        value = values[0] if values else ""
        if not isinstance(value, str):
            self.errors[name] = "该项格式不正确"
            return ""
        return value.strip() if strip else value

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def options_html(choices, selected) -> Markup:
    """The <option>s of a fixed list (labels, (value, label) pairs or a dict) with one selected. The lists are
    constants and the selected value one of a few, so the HTML is made once: a Jinja loop over 56 民族 costs
    more than the rest of a page."""
    return _options_html(tuple(choices.items()) if isinstance(choices, dict) else tuple(choices), selected)


@functools.lru_cache(maxsize=4096)
def _options_html(choices: tuple, selected) -> Markup:
    out = []
    for c in choices:
        value, label = c if isinstance(c, tuple) else (None, c)
        attr = f' value="{escape(value)}"' if value is not None else ""
        chosen = " selected" if (value if value is not None else label) == selected else ""
        out.append(f"<option{attr}{chosen}>{escape(label)}</option>")
    return Markup("".join(out))


def template_filters(templates: Jinja2Templates) -> None:
    templates.env.globals["options_html"] = options_html
    templates.env.filters["mask_name"] = mask_name
    templates.env.filters["local"] = lambda dt, fmt="%Y-%m-%d %H:%M": (
        dt.astimezone(timezone(timedelta(hours=8))).strftime(fmt) if dt else ""
    )
    # A fresh URL per render: browsers reuse an <img> of the same URL within a page, even with no-store.
    templates.env.globals["unique_token"] = lambda: secrets.token_hex(6)
