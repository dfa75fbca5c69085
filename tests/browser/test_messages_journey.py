"""消息 in Chromium (issue 16): a candidate told of an approval and a rejection sees the count in the header and the
list on the home page, opens a message by keyboard (read from then on), switches the optional reminders off by
keyboard and, without JavaScript, on again; at 375 and 320 px nothing is wider than the screen and every link and
button of these pages is a 44 px tap target; axe finds nothing on them."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import log_in

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
CANDIDATE = {"id_number": "110105199003071247", "phone": "13700137163", "name": "欧阳小明"}

# The page's width, and its links and buttons under 44×44 px (a link inside running text is exempt).
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll("#main a[href], #main button, header a[href], header button")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (getComputedStyle(el).display === 'inline' && el.parentElement.textContent.trim() !== el.textContent.trim()) continue;
    if (r.width < 43.5 || r.height < 43.5) small.push((el.id || el.className || el.tagName) + ' ' + el.textContent.trim().slice(0, 20) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth, small};
}"""
AXE_RUN = """async () => (await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a",
  "wcag21aa", "wcag22aa"]}, resultTypes: ["violations"]})).violations.map(v => v.id + ': ' + v.help + ' ' +
  v.nodes.map(n => n.target.join(' ')).slice(0, 4).join(' | '))"""


async def _seed() -> dict:
    """Inside a subprocess against the browser server's database: one candidate with two applications, one
    approved and one rejected on the board (their notifications recorded as the decision records them)."""
    import db
    import settings as settings_module
    from models.accounts import Account
    from models.reviews import ReviewLog
    from services.accounts import passwords
    from services.accounts.idnumbers import check_digit
    from services.clock import now
    from services.notifications import events
    from tests.factories import make_app

    await db.init(settings_module.load().database_url)
    try:
        number = CANDIDATE["id_number"][:17] + check_digit(CANDIDATE["id_number"][:17])
        account = await Account.create(id_type="mainland", id_number=number, name=CANDIDATE["name"],
                                       phone=CANDIDATE["phone"], realname_at=now(), realname_method="alipay",
                                       password_hash=await passwords.hash_password("Passw0rd2027"))
        first = await make_app(account=account, exam="demo-chuji", status="approved")
        second = await make_app(account=account, exam="demo-zhongji", status="rejected",
                                review_reason="学历证书扫描件不清晰")
        for app, ok in ((first, True), (second, False)):
            log = await ReviewLog.record(app.id, "approve" if ok else "reject", "submitted", app.status, now(),
                                         actor="beijing", reason=None if ok else app.review_reason)
            await events.review_outcome(app.id, ok, app.review_reason, log.id, now())
        return {"id_number": number}
    finally:
        await db.close()


def seed(server_env) -> dict:
    code = ("import asyncio, json, tests.browser.test_messages_journey as t; "
            "print(json.dumps(asyncio.run(t._seed())))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env, check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_layout(page, label: str, failures: list[str]) -> None:
    for width, height in ((320, 640), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        m = page.evaluate(MEASURE)
        if m["width"] > m["viewport"]:
            failures.append(f"{label} @{width}px: the page is {m['width']} px wide")
        failures += [f"{label} @{width}px: tap target {s}" for s in m["small"]]
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    failures += [f"{label}: axe {v}" for v in page.evaluate(AXE_RUN)]
    page.set_viewport_size({"width": 375, "height": 812})


def test_the_candidate_reads_messages_and_switches_reminders_by_keyboard_and_without_js(page, nojs_page,
                                                                                         server_env):
    ids = seed(server_env)
    failures: list[str] = []
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, ids["id_number"])
    page.wait_for_selector("#home-messages")
    assert page.text_content("#messages-link .count") == "2条未读"
    assert "报名审核通过" in page.inner_text("#home-messages") and "报名审核未通过" in page.inner_text("#home-messages")
    check_layout(page, "home", failures)
    # By keyboard: the header's 消息 link, then the newest message (the rejection) opened with Enter.
    page.focus("#messages-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#message-list")
    check_layout(page, "messages", failures)
    page.focus("#message-list .message-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#message-body")
    assert "学历证书扫描件不清晰" in page.inner_text("#message-body") and "修改后重新提交" in page.inner_text("#message-body")
    check_layout(page, "message", failures)
    assert page.text_content("#messages-link .count") == "1条未读"  # this one is read now
    # The reminders, by keyboard: Space unticks, Tab to 保存, Enter (htmx swaps the form in place).
    page.goto("/messages")
    page.focus("#reminders-on")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reminders .ok")
    assert "已关闭" in page.inner_text("#reminders .ok") and not page.is_checked("#reminders-on")
    # Without JavaScript the same form posts and the page comes back (303) saying what was saved.
    log_in(nojs_page, ids["id_number"])
    nojs_page.wait_for_selector("#home-messages")
    nojs_page.goto("/messages")
    assert not nojs_page.is_checked("#reminders-on")
    nojs_page.check("#reminders-on")
    nojs_page.click("#reminders button[type=submit]")
    nojs_page.wait_for_selector("#reminders .ok")
    assert "已开启" in nojs_page.inner_text("#reminders .ok") and nojs_page.url.endswith("/messages?saved=1")
    assert not failures, "\n".join(failures)
