"""Templates, and the one rule for what a response is: a full page, or the htmx fragment.

An htmx request (`HX-Request: true`, not boosted, not a history restore) gets the fragment; every other
request gets the page, which includes the same fragment file. Every response says `Vary: HX-Request`.
HTML lives in templates/ and partials/ only; `rendered_once` renders a partial a single time per set of
arguments for the few that a page repeats many times (option lists, 生僻字 buttons).
"""
from __future__ import annotations

import functools
import logging
import secrets
from typing import Callable

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from services import clock
from services.accounts.names import mask_name
from settings import ROOT
from web import sessions
from web.middleware import csrf_token_for

log = logging.getLogger("kjks")


def is_fragment_request(request: Request) -> bool:
    """htmx wants a fragment: HX-Request, but not a boosted navigation or a history restore."""
    h = request.headers
    return h.get("hx-request") == "true" and h.get("hx-boosted") != "true" and h.get("hx-history-restore-request") != "true"


def rendered_once(templates: Jinja2Templates, name: str, context: Callable[..., dict], size: int | None):
    """The partial `name` as a function of (hashable) arguments, rendered once per set of them and kept (at most
    `size` sets; None: as many as there are): for the fragments a page repeats many times with the same
    arguments. `context(*args)` turns the arguments into the template's context. A hit is one lookup in C."""
    template = templates.env.get_template(name)

    @functools.lru_cache(maxsize=size)
    def render(*args) -> Markup:
        return Markup(template.render(**context(*args)))

    return render


def templates_for(settings, globals_: dict | None = None) -> Jinja2Templates:
    templates = Jinja2Templates(directory=[str(ROOT / "templates"), str(ROOT / "partials")])
    # Templates change only with a deploy: no stat() of every template file on every render.
    templates.env.auto_reload = not (settings.production or settings.app_env == "test")
    options = rendered_once(templates, "options.html", lambda items, selected: {
        "choices": [c if isinstance(c, tuple) else (None, c) for c in items], "selected": selected}, size=4096)
    # At most one per character of the 生僻字 table.
    buttons = rendered_once(templates, "rarechar_button.html", lambda rc: {"rc": rc}, size=None)

    def options_html(choices, selected) -> Markup:
        """The <option>s of a fixed list (labels, (value, label) pairs or a dict) with one selected. A Jinja loop
        over the 56 民族 costs more than the rest of a page: each (list, selected value) is rendered once."""
        items = tuple(choices.items()) if isinstance(choices, dict) else tuple(choices)
        return options(items, selected if isinstance(selected, (str, int)) else None)

    templates.env.globals.update({
        "options_html": options_html,
        # A fresh URL per render: browsers reuse an <img> of the same URL within a page, even with no-store.
        "unique_token": lambda: secrets.token_hex(6),
        **(globals_ or {}),
    })
    templates.env.filters.update({
        "mask_name": mask_name,
        "local": clock.local,
        "rarechar_button": buttons,
    })
    return templates


class Renderer:
    def __init__(self, templates: Jinja2Templates, settings):
        self.templates = templates
        self.settings = settings

    def __call__(self, request: Request, page: str, context: dict | None = None, *, fragment: str | None = None,
                 status: int = 200, headers: dict | None = None) -> Response:
        ctx = dict(context or {})
        ctx.setdefault("csrf_token", csrf_token_for(self.settings.secret_key, request.state.sid_hash))
        row = request.state._state.get("session")
        ctx.setdefault("me", row.account if row is not None and row.account_id else None)
        ctx.setdefault("reviewer_me", row.reviewer if row is not None and row.reviewer_id else None)
        ctx.setdefault("unread_messages", getattr(row, "unread_messages", 0))  # web.sessions.load counts them
        ctx.setdefault("settings", self.settings)
        name = fragment if fragment and is_fragment_request(request) else page
        response = self.templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)
        response.headers["Vary"] = "HX-Request"
        response.headers["Cache-Control"] = "no-store"
        return response


def render(request: Request, page: str, context: dict | None = None, **kwargs) -> Response:
    """Render with the app's Renderer: `fragment=` for the htmx response, `status=` for 422 and the like."""
    return request.app.state.render(request, page, context, **kwargs)


class FollowedPage(Response):
    """A boosted form's success (hx-boost: htmx swaps <body> with the answer), answered with the page it leads to
    and `HX-Push-Url`, instead of 204 with HX-Redirect and the browser loading that page in a second request.

    The page is the same GET the browser would have made (the app's router, the request's cookie and headers, the
    session read again after the change), so it is never staler than a new request. Whatever that GET would not
    answer 200 (a guard's redirect, a refusal), a failure, a session that changed under the request (log in, log
    out) or a page already followed once: the 204 with HX-Redirect as before, and the browser asks itself."""

    def __init__(self, url: str):
        super().__init__(status_code=204, headers={"HX-Redirect": url})
        self.url = url

    async def __call__(self, scope, receive, send) -> None:
        page = await self._page(scope)
        if page is None:
            return await super().__call__(scope, receive, send)
        start, body = page
        start["headers"] = [*start.get("headers", []), (b"hx-push-url", self.url.encode("latin-1"))]
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _page(self, scope) -> tuple[dict, bytes] | None:
        state = scope["state"]
        if state.get("followed") or state.get("set_sid") or not self.url.startswith("/") or self.url.startswith("//"):
            return None
        app = scope["app"]
        path, _, query = self.url.partition("#")[0].partition("?")
        try:
            session = None
            if state.get("session") is not None:  # logged in: as it is now, after the change
                session = await sessions.load(app.state, state["sid_hash"])
                if session is None:
                    return None
            sub = {**scope, "method": "GET", "path": path, "raw_path": path.encode("latin-1"),
                   "query_string": query.encode("latin-1"),
                   "headers": [(k, v) for k, v in scope["headers"] if k not in _BODY_HEADERS],
                   "state": {**state, "session": session, "followed": True}}
            messages: list[dict] = []

            async def nothing_more():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def keep(message):
                messages.append(message)

            await app.router(sub, nothing_more, keep)
        except Exception:  # the change is done: the browser loads the page itself
            log.exception("following %s failed rid=%s", self.url, state.get("request_id"))
            return None
        if not messages or messages[0]["type"] != "http.response.start" or messages[0]["status"] != 200:
            return None
        return messages[0], b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")


_BODY_HEADERS = {b"content-type", b"content-length", b"transfer-encoding", b"x-csrf-token"}


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form; for htmx, the page itself if a boosted form asked
    (FollowedPage), else HX-Redirect (a full navigation)."""
    if request.headers.get("hx-request") == "true":
        if request.headers.get("hx-boosted") == "true":
            return FollowedPage(url)
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
