"""web/render.FollowedPage on a small app of its own: the page a GET answers with 200, and HX-Redirect for
everything else (a redirect, an error, an exception, an address outside the app, a page already followed)."""
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from web.render import redirect

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def make_app():
    seen = []

    async def go(request):
        return redirect(request, request.query_params["to"])

    async def page(request):
        seen.append((request.method, request.headers.get("content-type"), request.headers.get("x-csrf-token"),
                     request.url.query))
        return PlainTextResponse("the page", headers={"X-Page": "1"})

    async def moved(request):
        return RedirectResponse("/page", status_code=303)

    async def broken(request):
        raise RuntimeError("boom")

    async def missing(request):
        return PlainTextResponse("no", status_code=404)

    async def again(request):
        return redirect(request, "/page")  # a followed page that redirects in turn is not followed twice

    app = Starlette(routes=[Route("/go", go, methods=["POST"]), Route("/page", page), Route("/moved", moved),
                            Route("/broken", broken), Route("/missing", missing), Route("/again", again)])

    class State:  # what web.middleware puts in the scope: no session here
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            scope.setdefault("state", {}).update(sid_hash="x", session=None)
            await self.app(scope, receive, send)

    return State(app), seen


async def post(app, to):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return await c.post("/go", params={"to": to}, data={"a": "1"},
                            headers={**BOOSTED, "X-CSRF-Token": "tok"})


async def test_the_page_is_answered_with_its_address_as_a_get():
    app, seen = make_app()
    r = await post(app, "/page?x=1#here")
    assert r.status_code == 200 and r.text == "the page" and r.headers["x-page"] == "1"
    assert r.headers["hx-push-url"] == "/page?x=1#here" and "hx-redirect" not in r.headers
    assert seen == [("GET", None, None, "x=1")]  # no body, no token: the browser's own GET


@pytest.mark.parametrize("to", ["/moved", "/broken", "/missing", "/again", "https://gateway.example/pay", "//evil.example/"])
async def test_anything_but_a_page_falls_back_to_hx_redirect(to):
    app, seen = make_app()
    r = await post(app, to)
    assert r.status_code == 204 and r.headers["hx-redirect"] == to and r.text == ""
    assert "hx-push-url" not in r.headers


async def test_a_plain_form_and_a_fragment_request_are_not_followed():
    app, seen = make_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        plain = await c.post("/go", params={"to": "/page"})
        fragment = await c.post("/go", params={"to": "/page"}, headers={"HX-Request": "true"})
    assert plain.status_code == 303 and plain.headers["location"] == "/page"
    assert fragment.status_code == 204 and fragment.headers["hx-redirect"] == "/page"
    assert seen == []
