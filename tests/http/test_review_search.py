"""审核: the board's 姓名/证件号后4位 search travels by POST and is kept in the reviewer's session (issue 14: "Nothing
personal may ever go into a URL"): it finds by name and by the last 4 digits of the 证件号码, never shows up in a
Location, an HX-Push-Url or any address on the page, each session has its own, and 清除 ends it."""
import re
from urllib.parse import quote

import httpx
import pytest

from models.accounts import Session
from tests.factories import make_app, reviewer, token

# Every address a page holds: links, htmx requests, forms, images, scripts.
ADDRESS = re.compile(r'\b(?:href|hx-get|hx-post|action|src|hx-push-url)="([^"]*)"')


@pytest.fixture
async def second(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def addresses(html: str) -> list[str]:
    return ADDRESS.findall(html)


def leaks(term: str, *urls: str) -> list[str]:
    """The URLs holding the term, as typed or percent-encoded, in any case."""
    forms = {term.upper(), quote(term).upper(), quote(term, safe="").upper()}
    return [u for u in urls if any(f in u.upper() for f in forms)]


def search_field(html: str) -> str:
    return re.search(r'<input type="search" id="q" name="q" value="([^"]*)"', html).group(1)


def clear_hidden(html: str) -> bool:
    return bool(re.search(r'<button[^>]*id="search-clear"[^>]*\shidden', html))


def listed(html: str) -> str:
    return html.split("<tbody>")[1].split("</tbody>")[0]


async def search(client, q="", **data):
    return await client.post("/review/search", data={"csrf_token": await token(client), "q": q, **data})


async def test_the_search_finds_by_name_and_last_4_digits_and_is_in_no_url(client, demo):
    a = await make_app(name="欧阳娜娜", city="110108")
    b = await make_app(name="司马光")
    await reviewer(client)
    # By name (the beginning of it), with the other filters of the form: a 303 to /review with those only.
    r = await search(client, "欧阳", city="110108", status="submitted")
    assert r.status_code == 303 and r.headers["location"] == "/review?status=submitted&city=110108"
    page = await client.get(r.headers["location"])
    assert "欧阳娜娜" in listed(page.text) and "司马光" not in listed(page.text)
    assert search_field(page.text) == "欧阳" and not clear_hidden(page.text)  # shown in its field, with 清除
    assert addresses(page.text) and not leaks("欧阳", *addresses(page.text))
    assert 'href="/review/export.csv?status=submitted&amp;city=110108"' in page.text
    # Kept on the session row, not the URL: 导出 (a GET of the filters) exports what the board shows.
    assert await Session.filter(review_search="欧阳").count() == 1
    exported = (await client.get("/review/export.csv?status=submitted&city=110108")).content.decode("utf-8-sig")
    assert "欧阳娜娜" in exported and "司马光" not in exported
    # By the last 4 characters of the 证件号码 (with an X in any case), the city left out again.
    r = await search(client, b.id_last4.lower())
    assert r.headers["location"] == "/review?status=submitted"
    page = await client.get("/review")
    assert "司马光" in listed(page.text) and "欧阳娜娜" not in listed(page.text)
    assert search_field(page.text) == b.id_last4.lower()
    assert not leaks(b.id_last4, *addresses(page.text))
    # The pages and the counts per status keep it, and their links carry the filters only.
    approved = await client.get("/review?status=approved")
    assert search_field(approved.text) == b.id_last4.lower() and "待审核 <b>1</b>" in approved.text
    assert a.id_last4 != b.id_last4


async def test_the_htmx_search_pushes_a_url_without_it_and_swaps_the_field(client, demo):
    await make_app(name="欧阳娜娜")
    await make_app(name="司马光")
    await reviewer(client)
    r = await client.post("/review/search", data={"csrf_token": await token(client), "q": "司马", "level": "初级"},
                          headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/review"})
    assert r.status_code == 200 and "<html" not in r.text and r.headers["hx-push-url"] == f"/review?status=submitted&level={quote('初级')}"
    assert "司马光" in listed(r.text) and "欧阳娜娜" not in listed(r.text)
    # The field and 清除 come along out of band, so the form shows the search in force.
    assert re.search(r'<input type="search" id="q" name="q" value="司马"[^>]*hx-swap-oob="true"', r.text)
    assert not clear_hidden(r.text) and "data-focus" not in r.text  # focus stays where it is (htmx: same id)
    assert not leaks("司马", r.headers["hx-push-url"], *addresses(r.text)) and "location" not in r.headers
    # 清除: the list again, an empty field, 清除 hidden.
    r = await client.post("/review/search", data={"csrf_token": await token(client), "q": "司马", "clear": "1"},
                          headers={"HX-Request": "true"})
    assert "欧阳娜娜" in listed(r.text) and "司马光" in listed(r.text)
    assert search_field(r.text) == "" and clear_hidden(r.text) and r.headers["hx-push-url"] == "/review?status=submitted"
    assert re.search(r'<input type="search" id="q"[^>]* data-focus>', r.text)  # 清除 is hidden: focus to the field
    assert await Session.filter(review_search__isnull=False).count() == 0


async def test_a_reviewers_search_is_not_seen_in_another_session(client, second, app, demo):
    await make_app(name="欧阳娜娜")
    await make_app(name="司马光")
    await reviewer(client)
    await reviewer(second, username="beijing2")
    await search(client, "欧阳")
    other = await second.get("/review")
    assert "欧阳娜娜" in listed(other.text) and "司马光" in listed(other.text) and "欧阳" not in search_field(other.text)
    assert "司马光" in (await second.get("/review/export.csv")).content.decode("utf-8-sig")
    # The same reviewer in another browser: a session of its own, no search either.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as third:
        await reviewer(third)
        assert "司马光" in listed((await third.get("/review")).text)
    await search(second, "司马")
    assert "司马光" not in listed((await client.get("/review")).text)  # the first keeps its own
    # Logging out ends the session, and the search with it.
    await client.post("/review/logout", data={"csrf_token": await token(client)})
    assert await Session.filter(review_search="欧阳").count() == 0


async def test_the_search_is_a_post_of_a_reviewer_with_its_csrf_token(client, demo):
    await make_app(name="欧阳娜娜")
    assert (await client.post("/review/search", data={"q": "欧阳"})).status_code == 403  # no token
    r = await client.post("/review/search", data={"csrf_token": await token(client), "q": "欧阳"})
    assert r.status_code == 303 and r.headers["location"] == "/review"  # not a reviewer: the login page
    await reviewer(client)
    assert (await client.post("/review/search", data={"q": "欧阳"})).status_code == 403
    assert (await client.get("/review/search")).status_code == 405
    # Longer than the field allows, or a control character: typed, kept to its length, never a 500.
    r = await search(client, "欧" * 300)
    assert r.status_code == 303 and len((await Session.first()).review_search) == 64
    assert (await search(client, "欧\x00阳")).status_code == 303
    assert (await client.get("/review")).status_code == 200
