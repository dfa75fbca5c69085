"""One pure-ASGI middleware for every request (no BaseHTTPMiddleware: it costs a task per request).

It reads or issues the session cookie, gives each request an id, refuses unsafe requests without a valid
CSRF token (403, before any handler runs), loads the logged-in session (web.sessions) so that every view
and every template knows who is logged in, and adds the security headers.

The cookie `sid` carries only a random session id signed with itsdangerous. Anonymous visitors have a
cookie but no row. CSRF: the token is an HMAC of the session id, so it needs no storage and changes when
the session id rotates at login. Every POST/PUT/PATCH/DELETE must carry it, in the `X-CSRF-Token` header
(htmx sends it from the `hx-headers` of <body>) or in the `csrf_token` form field (plain forms).

The size of every request is bounded before its body is read (web.limits, one limit per route): a
Content-Length above the limit is refused at once, and `receive` is wrapped so that a body without one
(chunked) is cut off at the limit too (BodyTooLarge, a 413, wherever the body is being read). Refusals
(413, the CSRF 403) are the Chinese pages of web.errors, handed in by app.py as `refuse`.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from urllib.parse import parse_qs

from itsdangerous import BadSignature, Signer
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

import db
from services.accounts.sessions import sid_hash
from web import admission as admission_tiers, forms, metrics, proxies
from web import sessions

log = logging.getLogger("kjks")

COOKIE = "sid"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_REFUSED = "页面已过期或请求无效（CSRF校验失败），请刷新页面后重试。"
TOO_LARGE = "提交的内容超过了允许的大小。如在上传文件，请压缩或更换较小的文件后重新提交。"
NO_SESSION_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")  # files, health, metrics: no session
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "x-frame-options": "DENY",
                    "referrer-policy": "same-origin"}


def csrf_token_for(secret: str, sid_hash_: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{sid_hash_}".encode(), hashlib.sha256).hexdigest()[:40]


class PlumbingMiddleware:
    def __init__(self, app, settings, *, body_limit, refuse, busy, admission, exempt_prefixes: tuple[str, ...] = ()):
        """`body_limit(path)` → web.limits.Limit; `refuse(request, status, detail)` → the refusal's Response;
        `admission`: web.admission.Admission; `busy(request, seconds)` → the 系统繁忙 Response."""
        self.app = app
        self.settings = settings
        self.signer = Signer(settings.secret_key, salt="sid")
        self.exempt = exempt_prefixes
        self.body_limit = body_limit
        self.refuse = refuse
        self.busy = busy
        self.admission = admission
        self.node = [(b"x-node", settings.node_name.encode())] if settings.node_name else []

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
        if self.settings.trusted_proxies:  # behind nginx: the client's own address and scheme (web/proxies.py)
            proxies.apply(scope, self.settings.trusted_proxies)
        if scope["method"] == "HEAD":
            # A HEAD is a GET without its body (RFC 9110): the app sees a GET, so no view can take it for a POST
            # ("not GET" branches), and the body it answers is not sent. Before, a HEAD with a body ran the POST
            # branch of 提交 or 重新报名 without any CSRF check.
            scope, send = {**scope, "method": "GET"}, _without_body(send)
        headers = dict(scope["headers"])
        sid = self._read_cookie(headers)
        state = scope.setdefault("state", {})
        state["request_id"] = os.urandom(6).hex()  # 12 hex digits, as uuid4().hex[:12] gave, at a fifth of its cost
        state["new_sid"] = None
        if sid is None:
            sid = secrets.token_urlsafe(32)
            state["new_sid"] = sid
        state["sid_hash"] = sid_hash(sid)
        state["session"] = None
        settings = self.settings

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = message.setdefault("headers", [])
                h.extend((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())
                h.append((b"x-request-id", state["request_id"].encode()))
                h.extend(self.node)
                new = state.get("set_sid") or state["new_sid"]
                if new:
                    h.append((b"set-cookie", _cookie(self.signer.sign(new).decode(), settings).encode()))
            await send(message)

        async def refuse(status: int, detail: str):
            response = self.refuse(Request(scope, receive), status, detail)
            await response(scope, receive, send_with_headers)

        # The size first, before anything reads the body.
        limit = self.body_limit(scope["path"])
        declared = headers.get(b"content-length")
        if declared is not None and not declared.isdigit():
            return await refuse(400, "")  # not a length (a server in front would have refused it already)
        if declared is not None and (len(declared) > 15 or int(declared) > limit.body):
            return await self._too_large(scope, limit, refuse, send_with_headers)
        receive = _bounded(receive, limit.body)

        # Who asks, then whether this process can take the request now (web.admission): before the body is read.
        if not state["new_sid"] and not scope["path"].startswith(NO_SESSION_PREFIXES):
            try:
                state["session"] = await sessions.load(scope["app"].state, state["sid_hash"])
            except Exception as exc:
                if not db.unavailable(exc):
                    raise
                return await self._unavailable(scope, receive, send_with_headers, exc)
        admission = self.admission
        # A visitor who brings our signed cookie was admitted before (a refusal sets none): inside, like a session.
        tier = admission.tier(scope["method"], scope["path"], state["session"] or not state["new_sid"])
        if not admission.enter(tier):
            metrics.refused(tier)
            state["new_sid"] = None  # still outside: the next try is a new visitor's again
            response = self.busy(Request(scope, receive), self.settings.admission_retry_seconds)
            return await response(scope, receive, send_with_headers)
        if tier == admission_tiers.NEVER and scope["path"].startswith("/static/"):
            state["new_sid"] = None  # the busy page's own styles and script do not let its visitor in
        admitted = time.monotonic()
        started = False

        async def send_timed(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if tier != admission_tiers.NEVER:
                    admission.answered(time.monotonic() - admitted, scope["method"] in UNSAFE)
            await send_with_headers(message)

        try:
            await self._checked(scope, receive, send_timed, state, headers, limit, refuse)
        except Exception as exc:
            if started or not db.unavailable(exc):
                raise
            await self._unavailable(scope, receive, send_with_headers, exc)
        finally:
            admission.leave()

    async def _unavailable(self, scope, receive, send, exc) -> None:
        """The database is out of reach (restarting, a cut connection): 系统繁忙 with Retry-After, as under
        overload, and one line in the log instead of a traceback. Its transaction, if any, was rolled back."""
        log.warning("database unavailable %s %s rid=%s: %s: %s", scope["method"], scope["path"],
                    scope["state"]["request_id"], type(exc).__name__, exc)
        metrics.refused("database")
        response = self.busy(Request(scope, receive), self.settings.admission_retry_seconds)
        await response(scope, receive, send)

    async def _checked(self, scope, receive, send_with_headers, state, headers, limit, refuse):
        """The CSRF check of a state change, then the app."""
        if scope["method"] in UNSAFE and not scope["path"].startswith(self.exempt):
            expected = csrf_token_for(self.settings.secret_key, state["sid_hash"])
            given = headers.get(b"x-csrf-token", b"").decode("latin-1")
            body_chunks: list[bytes] | None = None
            if not given:
                try:
                    body_chunks = await _read_body(receive)
                    given = await _csrf_from_body(scope, b"".join(body_chunks))
                except BodyTooLarge:
                    return await self._too_large(scope, limit, refuse, send_with_headers)
                except ClientDisconnect:  # gone before the end of its body: nothing to answer, nothing done
                    log.info("client gone while sending %s %s rid=%s", scope["method"], scope["path"],
                             state["request_id"])
                    return
                except FormRefused as e:
                    return await refuse(e.status, e.message)
            if state["new_sid"] or not hmac.compare_digest(given.encode("latin-1", "replace"), expected.encode()):
                log.warning("csrf refused %s %s rid=%s", scope["method"], scope["path"], state["request_id"])
                return await refuse(403, CSRF_REFUSED)
            if body_chunks is not None:
                receive = _replay(body_chunks)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _too_large(scope, limit, refuse, send) -> None:
        log.warning("body too large %s %s rid=%s", scope["method"], scope["path"], scope["state"]["request_id"])
        if limit.refusal is not None:  # a server-to-server route: the text its protocol expects
            return await _plain(send, 413, limit.refusal)
        return await refuse(413, TOO_LARGE)


class BodyTooLarge(HTTPException):
    """A body that passed its route's limit while being read (sent without a Content-Length): the 413 page."""

    def __init__(self):
        super().__init__(413, TOO_LARGE)


def _bounded(receive, limit: int):
    """`receive`, cut off once the body passes `limit` bytes (BodyTooLarge in whoever reads it)."""
    seen = 0

    async def bounded():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return bounded


def _without_body(send):
    """`send` for a HEAD answered as its GET: the headers (Content-Length included) go out, the body does not."""
    async def send_head(message):
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head


def _cookie(value: str, settings) -> str:
    parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if settings.cookie_secure:
        parts.append("Secure")
    return "; ".join(parts)


async def _read_body(receive) -> list[bytes]:
    """The whole body (bounded by the wrapped `receive`: BodyTooLarge past the route's limit; ClientDisconnect
    when the client goes away before the end)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return chunks


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
            # The limits of the form's own reading (web.forms.posted), and its answer when they are passed: a
            # form of 1000 fields is "too many fields", not an expired page.
            form = await request.form(max_files=forms.MAX_FILES, max_fields=forms.MAX_FIELDS,
                                      max_part_size=forms.FIELD_BYTES)
        except (MultiPartException, HTTPException) as exc:  # Starlette turns the first into the second
            if isinstance(exc, HTTPException) and exc.status_code != 400:
                raise  # the body limit's 413 (BodyTooLarge)
            said = getattr(exc, "message", None) or str(getattr(exc, "detail", ""))
            raise FormRefused(413 if "exceeded maximum size" in said else 400,
                              forms.FIELD_TOO_LARGE if "exceeded maximum size" in said else
                              forms.TOO_MANY if said.startswith("Too many") else forms.MALFORMED) from None
        values = form.getlist("csrf_token")
        await form.close()
        return values[0] if len(values) == 1 and isinstance(values[0], str) else ""
    return ""


class FormRefused(Exception):
    """A form whose CSRF token cannot be read: the refusal web.forms.posted gives the same form."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
