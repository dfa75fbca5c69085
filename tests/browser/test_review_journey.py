"""审核 in Chromium: a reviewer approves one application and rejects another with the keyboard (j/k, a, r),
and the candidate then sees both outcomes on 审核告知."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import log_in

ROOT = Path(__file__).resolve().parents[2]

CANDIDATE = {"id_number": "110105199003071239", "phone": "13700137062", "name": "沙悟净"}


async def _seed() -> dict:
    """Run inside a subprocess against the browser server's database: one candidate, two submitted
    applications (初级 and 中级, 北京), inserted as rows: the wizard journey covers how they get there."""
    import db
    import settings as settings_module
    from models.accounts import Account
    from services.accounts import passwords
    from services.accounts.idnumbers import check_digit
    from tests.factories import make_app
    from services.clock import now

    s = settings_module.load()
    await db.init(s.database_url)
    try:
        number = CANDIDATE["id_number"][:17] + check_digit(CANDIDATE["id_number"][:17])
        account = await Account.create(id_type="mainland", id_number=number, name=CANDIDATE["name"],
                                       phone=CANDIDATE["phone"], realname_at=now(), realname_method="alipay",
                                       password_hash=await passwords.hash_password("Passw0rd2027"))
        first = await make_app(account=account, exam="demo-chuji", minutes_ago=10)
        second = await make_app(account=account, exam="demo-zhongji", minutes_ago=5)
        return {"first": first.id, "second": second.id, "id_number": number}
    finally:
        await db.close()


def seed(server_env) -> dict:
    code = "import asyncio, json, tests.browser.test_review_journey as t; print(json.dumps(asyncio.run(t._seed())))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def login_reviewer(page):
    page.goto("/review")
    page.fill("#username", "beijing")
    page.fill("#password", "Shenhe2027")
    page.fill("#captcha", "TEST")
    page.click("#review-login-form button[type=submit]")
    page.wait_for_selector("#queue-table")


def test_reviewer_decides_by_keyboard_and_the_candidate_sees_both(page, browser, server_url, server_env):
    ids = seed(server_env)
    login_reviewer(page)
    first, second = f"#row-{ids['first']}", f"#row-{ids['second']}"
    page.wait_for_selector(second)
    # j selects the first (oldest) row, a approves it in place: the row and the counts change, no reload.
    page.keyboard.press("j")
    page.wait_for_selector(f"{first}.selected")
    page.keyboard.press("a")
    page.wait_for_selector(f"{first}.status-approved")
    assert "审核通过" in page.inner_text(first)
    # j to the next row, r opens its detail beside the list with the reason focused.
    page.keyboard.press("j")
    page.wait_for_selector(f"{second}.selected")
    page.keyboard.press("r")
    page.wait_for_selector(f"#detail [data-app='{ids['second']}']")
    page.wait_for_selector("#reason:focus")
    page.keyboard.type("学历证书扫描件不清晰")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{second}.status-rejected")
    assert "审核未通过" in page.inner_text("#detail-status")
    assert "待审核 0" in re.sub(r"\s+", " ", page.inner_text("#counts"))
    assert page.url.endswith("/review")

    candidate = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    log_in(candidate, ids["id_number"])
    candidate.wait_for_url(re.compile(r"/$"))
    candidate.goto(f"/apply/{ids['first']}/result")
    assert "审核通过" in candidate.inner_text("#review-notice")
    candidate.goto(f"/apply/{ids['second']}/result")
    notice = candidate.inner_text("#review-notice")
    assert "审核未通过" in notice and "学历证书扫描件不清晰" in notice
    assert candidate.locator("button:has-text('修改后重新提交')").count() == 1
    candidate.context.close()


async def _seed_search() -> dict:
    """Two applications already decided (审核未通过, so the other journeys' 待审核 queue is untouched) whose names
    begin alike, for the board's search."""
    import db
    import settings as settings_module
    from tests.factories import make_app

    s = settings_module.load()
    await db.init(s.database_url)
    try:
        found = await make_app(name="公孙策", status="rejected", review_reason="照片不清晰")
        other = await make_app(name="公冶长", status="rejected", review_reason="照片不清晰")
        return {"found": found.id, "other": other.id, "last4": found.id_last4}
    finally:
        await db.close()


def leaked(urls: list[str], *terms: str) -> list[str]:
    from urllib.parse import quote
    forms = [f.upper() for t in terms for f in (t, quote(t))]
    return [u for u in urls if any(f in u.upper() for f in forms)]


def test_the_board_search_is_posted_kept_and_cleared_by_keyboard_and_without_javascript(page, nojs_page,
                                                                                       server_env):
    """The search (a name, the last 4 digits of the 证件号码) is typed and sent with Enter, shown in its field after
    a reload, cleared with 清除 by keyboard (focus back in the field); no address the browser asked for or
    showed holds it, with JavaScript and without."""
    code = ("import asyncio, json, tests.browser.test_review_journey as t; "
            "print(json.dumps(asyncio.run(t._seed_search())))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env, check=True, capture_output=True,
                         text=True)
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    found, other = f"#row-{ids['found']}", f"#row-{ids['other']}"
    for p in (page, nojs_page):
        urls = []
        p.on("request", lambda r, urls=urls: urls.append(r.url))
        p.on("response", lambda r, urls=urls: urls.extend(v for k, v in r.headers.items()
                                                          if k in ("location", "hx-push-url")))
        login_reviewer(p)
        p.click("#counts a[data-status=rejected]")
        p.wait_for_selector(other)
        p.focus("#q")
        p.keyboard.type("公孙")
        p.keyboard.press("Enter")
        p.wait_for_selector(other, state="detached")
        assert p.is_visible(found) and p.input_value("#q") == "公孙" and p.is_visible("#search-clear")
        assert "status=rejected" in p.url
        p.set_viewport_size({"width": 1366, "height": 800})
        p.screenshot(path=f"/tmp/review-search-{'js' if p is page else 'nojs'}.png")
        p.reload()  # kept in the session: the same list, the search in its field
        assert p.input_value("#q") == "公孙" and p.locator(other).count() == 0 and p.is_visible(found)
        # 清除 by keyboard: Tab past 查询 to 清除, Enter.
        p.focus("#q")
        p.keyboard.press("Tab")
        p.keyboard.press("Tab")
        assert p.evaluate("document.activeElement.id") == "search-clear"
        p.keyboard.press("Enter")
        p.wait_for_selector(other)
        assert p.input_value("#q") == "" and not p.is_visible("#search-clear")
        if p is page:  # the field swapped in again takes focus back
            p.wait_for_selector("#q:focus", state="attached")
        # The last 4 digits of the 证件号码.
        p.fill("#q", ids["last4"])
        p.keyboard.press("Enter") if p is page else p.click("#search-submit")
        p.wait_for_selector(other, state="detached")
        assert p.is_visible(found) and p.input_value("#q") == ids["last4"]
        p.screenshot(path=f"/tmp/review-search-{'js' if p is page else 'nojs'}-last4.png")
        p.set_viewport_size({"width": 375, "height": 812})
        p.screenshot(path=f"/tmp/review-search-{'js' if p is page else 'nojs'}-375.png", full_page=True)
        p.click("#search-clear")
        p.wait_for_selector(other)
        assert any("/review/search" in u for u in urls) and not leaked(urls, "公孙", ids["last4"]), urls
