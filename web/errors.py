"""The answers for refusals and failures: the guards' redirects, and every 4xx and the 500 as a Chinese page
that says what to do (an htmx request gets the same card as a fragment, swapped into the page's main area).

Refusals come from the handlers (HTTPException), from the router (404, 405), from reading a form
(web.forms.posted: 400 / 413) and from web.middleware (the CSRF 403 and the body limit's 413, through
`refusal`, which app.py hands to it)."""
from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

import db
from web.middleware import SECURITY_HEADERS
from web.render import is_fragment_request, render

log = logging.getLogger("kjks")

NOT_FOUND = ("页面不存在", "您访问的页面不存在或已被删除。请检查网址，或返回首页重新进入。")
# status → (title, what happened and what to do); a handler's own Chinese detail replaces the second.
PAGES = {
    400: ("无法处理该请求", "提交的内容不完整或格式有误。请返回上一页，刷新后重新填写并提交。"),
    403: ("无权访问", "您没有访问该页面的权限。请使用有权限的账号登录，或返回首页。"),
    404: NOT_FOUND,
    # A form's address opened as a page (a bookmark, a reload of an old history entry): not "页面不存在",
    # since the address exists; it takes a form's POST only.
    405: ("无法直接打开该地址", "该地址用于提交表单，不能直接在浏览器中打开。请返回上一页重新操作，或返回首页。"),
    409: ("操作未完成", "该内容已被修改。请返回上一页，刷新后重试。"),
    413: ("提交的内容过大", "提交的内容超过了允许的大小。如在上传文件，请压缩或更换较小的文件后重新提交。"),
    422: ("无法处理该请求", "提交的内容有误。请返回上一页，检查后重新提交。"),
    429: ("操作过于频繁", "请稍后再试。"),
}
SERVER_ERROR = ("系统繁忙", "服务器处理您的请求时出错，请稍后再试。")
# An htmx request swaps the card into the page's main area, whatever the element that asked.
FRAGMENT_HEADERS = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refusal(request: Request, status: int, detail: str | None = None, headers: dict | None = None) -> Response:
    """The Chinese page for a 4xx: its title, and the handler's own Chinese `detail` or the status's message."""
    title, message = PAGES.get(status, PAGES[400])
    if detail and CHINESE.search(detail):  # not Starlette's default detail, the English reason phrase
        message = detail
    return render(request, "errors/page.html", {"title": title, "message": message, "status": status},
                  fragment="errors/card.html", status=status, headers={**_swap(request), **(headers or {})})


BUSY_TITLE = "系统繁忙"
BUSY_RETRY = "当前访问人数较多，您的请求尚未处理。请在 {seconds} 秒后点击“立即重试”，请勿关闭本页。"
BUSY_AUTO = "当前访问人数较多，您的请求尚未处理。页面将在 {seconds} 秒后自动重试，请勿关闭本页。"  # static/js/app.js
BUSY_RESEND = "当前访问人数较多，您提交的内容尚未处理，也未保存。请在 {seconds} 秒后返回上一页，重新提交。"


def busy(request: Request, seconds: int) -> Response:
    """系统繁忙 (web.admission): 503 with Retry-After. A page load says when to press 立即重试; with JavaScript it
    counts down and retries by itself, and can be stopped (static/js/app.js; no meta refresh, which a reader
    could not stop: WCAG 2.2.1); a plain form's POST is not repeated by a reload, so its page says to
    send it again; htmx leaves the page as it is and sends the request again itself (static/js/app.js)."""
    headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
    if is_fragment_request(request) or request.headers.get("hx-request") == "true":
        headers.update({"HX-Reswap": "none", "HX-Trigger": '{"kjks:busy": {"seconds": %d}}' % seconds})
        return PlainTextResponse(BUSY_AUTO.format(seconds=seconds), status_code=503, headers=headers)
    retry = request.method == "GET"
    message = (BUSY_RETRY if retry else BUSY_RESEND).format(seconds=seconds)
    return render(request, "errors/busy.html", {"title": BUSY_TITLE, "message": message, "status": 503,
                                                 "refresh": seconds if retry else None},
                  status=503, headers=headers)


async def http_error(request: Request, exc: HTTPException):
    """A guard's redirect (303 with a Location), or the page of the refusal."""
    if exc.status_code in (301, 302, 303, 307) and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    return refusal(request, exc.status_code, exc.detail, exc.headers)


async def client_gone(request: Request, exc: Exception):
    """The client went away while sending its body (a phone losing its network during an upload): nothing to
    answer, and not the server's error. Nothing was changed: no view reads a half-sent form."""
    log.info("client gone while sending %s %s rid=%s", request.method, request.url.path,
             request.scope.get("state", {}).get("request_id", "-"))
    return PlainTextResponse("", status_code=400)


async def server_error(request: Request, exc: Exception):
    rid = request.scope.get("state", {}).get("request_id", "-")
    node = request.app.state.settings.node_name
    headers = {**SECURITY_HEADERS, **({"X-Node": node} if node else {})}
    if db.unavailable(exc):  # the database out of reach where web.middleware could not answer it: 系统繁忙
        log.warning("database unavailable rid=%s %s %s: %s", rid, request.method, request.url.path, exc)
        response = busy(request, request.app.state.settings.admission_retry_seconds)
        response.headers.update(headers)
        return response
    log.exception("server error rid=%s %s %s", rid, request.method, request.url.path)
    # Starlette answers a 500 outside our middleware: the security headers are added here.
    title, message = SERVER_ERROR
    try:
        return render(request, "errors/page.html", {"title": title, "message": message, "request_id": rid},
                      fragment="errors/card.html", status=500, headers={**headers, **_swap(request)})
    except Exception:
        return PlainTextResponse(f"系统繁忙，请稍后再试。请求编号：{rid}", status_code=500, headers=headers)


def _swap(request: Request) -> dict:
    """The card of an htmx fragment request goes where the page's content is (a boosted navigation gets the page)."""
    return FRAGMENT_HEADERS if is_fragment_request(request) else {}
