"""A boosted form's success is answered with the page it leads to (web/render.FollowedPage), not 204 + HX-Redirect
and a second request: the same page a GET would show, fresh after the change, and HX-Redirect wherever that GET
would not answer 200 or the session changed."""
from models.profiles import Profile
from services.accounts import realname
from services.clock import now
from tests.factories import csrf_of, register

BOOSTED = {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://test/profile/degree"}


async def verified(client):
    account = await register(client)
    await realname.mark_verified(account.id, "alipay", now())
    return account


async def boosted_post(client, path, data, page="/profile"):
    token = await csrf_of(client, page)
    return await client.post(path, data=data, headers={**BOOSTED, "X-CSRF-Token": token})


async def test_a_boosted_save_answers_the_next_page_with_its_address(client):
    account = await verified(client)
    r = await boosted_post(client, "/profile/degree", {"degree": "无"})
    assert r.status_code == 200 and r.headers["hx-push-url"] == "/profile?saved=degree"
    assert "hx-redirect" not in r.headers
    # The page a GET of /profile shows, written after the change: the section reads 已完成.
    assert "<html" in r.text and "信息采集" in r.text
    again = await client.get("/profile?saved=degree")
    assert _tasks(r.text) == _tasks(again.text) and "已完成" in _tasks(r.text)
    assert (await Profile.get(account_id=account.id)).degree == "无"
    # The security headers of every answer, and the page is not kept by the browser.
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"


async def test_a_plain_form_still_gets_303_and_a_fragment_request_hx_redirect(client):
    await verified(client)
    token = await csrf_of(client, "/profile")
    plain = await client.post("/profile/degree", data={"degree": "无", "csrf_token": token})
    assert plain.status_code == 303 and plain.headers["location"] == "/profile?saved=degree"
    fragment = await client.post("/profile/degree", data={"degree": "无"},
                                 headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert fragment.status_code == 204 and fragment.headers["hx-redirect"] == "/profile?saved=degree"


async def test_a_page_the_get_would_not_show_falls_back_to_hx_redirect(client):
    """logout ends the session and rotates the cookie: the page after it is not followed with the old state."""
    await verified(client)
    r = await boosted_post(client, "/logout", {}, page="/")
    assert r.status_code == 204 and r.headers["hx-redirect"] == "/"


async def test_a_refused_save_is_the_form_again_not_a_followed_page(client):
    account = await verified(client)
    r = await boosted_post(client, "/profile/work", {"employer": "某某会计师事务所", "employer_province": "44",
                                                     "employer_city": "110105", "accounting_start": "2015-09-01"})
    assert r.status_code == 422 and "hx-push-url" not in r.headers and "请选择单位所在城市" in r.text
    assert not await Profile.filter(account_id=account.id, work_saved=True).exists()


def _tasks(html: str) -> str:
    start = html.index("<main")
    return html[start:html.index("</main>")]
