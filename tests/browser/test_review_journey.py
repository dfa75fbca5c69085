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
