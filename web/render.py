"""Templates, and the one rule for what a response is: a full page, or the htmx fragment.

An htmx request (`HX-Request: true`, not boosted, not a history restore) gets the fragment; every other
request gets the page, which includes the same fragment file. Every response says `Vary: HX-Request`.
HTML lives in templates/ and partials/ only; `rendered_once` renders a partial a single time per set of
arguments for the few that a page repeats many times (option lists, 生僻字 buttons).
"""
from __future__ import annotations

import functools
import secrets
from typing import Callable

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from services import clock
from services.accounts.names import mask_name
from settings import ROOT
from web.middleware import csrf_token_for


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


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form, HX-Redirect for htmx (a full navigation)."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
