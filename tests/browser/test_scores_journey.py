"""成绩 in Chromium (issue 16): a paid and seated candidate of 北京 finds no score before the publication; the
office uploads a file on its board by keyboard (a refused row first: nothing imported), confirms the corrected
file, sets the publication time; the candidate reaches 成绩查询 from 准考证打印 and sees each subject with its
score, 合格 / 不合格 and the level's result. Without JavaScript the office previews and confirms a correction.
The new pages are checked with axe (WCAG A/AA) at 1366 and 375 px, no wider than the phone, 44 px targets."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import (fill_personal, log_in_reviewer, register, site_subjects_and_photo, to_info,
                                 verify_and_add_education)

# As tests/browser/test_ticket_journey.py (a test module imports no other): axe, the width and the tap targets.
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
ROOT = Path(__file__).resolve().parents[2]
PHONE = "13700137060"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).slice(0, 4).join(" | "));
}"""
# Wider than the screen, and tap targets under 44 px (links inside a sentence aside), as tests/browser/test_layout.
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll("main button, main a[href].btn, main summary")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.width < 43.5 || r.height < 43.5)) small.push(el.id || el.textContent.trim());
  }
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth, small};
}"""


def check_page(page, state: str, found: list[str]) -> None:
    """axe at both widths, the page no wider than a phone and its buttons big enough to tap there."""
    page.wait_for_load_state("load")
    for width, height in ((1366, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE.read_text())
        found += [f"{state} @{width}px: {v}" for v in page.evaluate(RUN, TAGS)]
        if width == 375:
            m = page.evaluate(MEASURE)
            if m["width"] > m["viewport"]:
                found.append(f"{state} @375px: the page is {m['width']} px wide")
            found += [f"{state} @375px: tap target {s}" for s in m["small"]]
            if os.environ.get("LAYOUT_SCREENSHOTS"):  # as tests/browser/test_layout.py: to look at them
                Path(os.environ["LAYOUT_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{os.environ['LAYOUT_SCREENSHOTS']}/scores-{state}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def submit_in_beijing(page) -> int:
    to_info(page, "北京")
    page.select_option("#city", label="朝阳区")
    site_subjects_and_photo(page)
    fill_personal(page, "oy@example.com")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    return int(re.search(r"/apply/(\d+)/", page.url).group(1))


def pay(page, app_id: int) -> None:
    page.goto(f"/apply/{app_id}/pay")
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(r"/pay/return/"))
    assert "报名成功" in page.inner_text("#pay-success")


PAGE = "/review/scores/demo-chuji/11"


def upload(office, path, by_keyboard=True) -> None:
    office.goto(PAGE)
    office.set_input_files("#file", str(path))
    if by_keyboard:
        office.focus("#upload")
        office.keyboard.press("Enter")
    else:
        office.click("#upload")
    office.wait_for_url(re.compile(r"/imports/"))


def test_the_office_imports_and_publishes_and_the_candidate_reads_the_scores(page, browser, server_url, server_env,
                                                                               tmp_path):
    found: list[str] = []
    register(page, 60, "成绩查", PHONE)
    verify_and_add_education(page)
    app_id = submit_in_beijing(page)
    office = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    office.set_default_timeout(10_000)
    log_in_reviewer(office)
    office.goto(f"/review/applications/{app_id}")
    office.click("#approve")
    office.wait_for_selector("#detail-status:has-text('审核通过')")
    pay(page, app_id)
    office.goto("/review/arrangement/demo-chuji/11")
    if office.locator("#arrange").count():
        if office.locator("#confirm_early").count():
            office.check("#confirm_early")
        office.click("#arrange")
        office.wait_for_selector("#arrangement-done")
    page.goto("/tickets")
    number = page.inner_text(f"#ticket-number-{app_id}")

    # Before any publication: the candidate's sheet says so and shows no score.
    page.click("#scores-link")
    page.wait_for_url(re.compile(r"/scores$"))
    check_page(page, "成绩查询", found)
    page.click(f"#scores-{app_id}")
    page.wait_for_selector("#not-published")
    check_page(page, "成绩查询-尚未发布", found)

    # The office: a file with a refused row, previewed, cannot be confirmed.
    office.goto(PAGE)
    check_page(office, "成绩管理", found)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(f"准考证号,科目,成绩\r\n{number},初级会计实务,88\r\n{number},经济法基础,100.5\r\n".encode("gbk"))
    upload(office, bad)
    assert "拒绝 1" in office.inner_text("#preview-summary") and office.locator("#confirm").count() == 0
    assert "0–100" in office.inner_text("#refused")
    check_page(office, "成绩导入预览-有被拒绝的行", found)
    good = tmp_path / "good.csv"
    good.write_bytes(f"\ufeff准考证号,科目,成绩\r\n{number},初级会计实务,88\r\n{number},经济法基础,59.5\r\n".encode())
    upload(office, good)
    assert "新增 2" in office.inner_text("#preview-summary")
    check_page(office, "成绩导入预览", found)
    office.focus("#confirm")
    office.keyboard.press("Enter")
    office.wait_for_selector("#scores-done")
    assert "成绩已导入" in office.inner_text("#scores-done")
    page.reload()
    assert page.locator("#not-published").count() == 1 and "88" not in page.inner_text("#score-sheet")

    # Without JavaScript: a corrected file lists the change, then replaces the score once confirmed.
    nojs = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False).new_page()
    log_in_reviewer(nojs)
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(f"准考证号,科目,成绩\n{number},经济法基础,61\n", encoding="utf-8")
    upload(nojs, fixed, by_keyboard=False)
    changes = nojs.inner_text("#changes")
    assert "59.5" in changes and "61" in changes
    nojs.click("#confirm")
    nojs.wait_for_selector("#scores-done")
    nojs.fill("#published_at", "2026-01-01T09:00")
    nojs.click("#publish")
    nojs.wait_for_selector("#scores-done")
    assert "2026-01-01 09:00 发布" in nojs.inner_text("#release-state")
    nojs.context.close()

    # The candidate sees the scores and the result.
    page.reload()
    page.wait_for_selector("#subject-scores")
    rows = page.inner_text("#subject-scores")
    assert re.search(r"初级会计实务\s+88\s+合格", rows) and re.search(r"经济法基础\s+61\s+合格", rows), rows
    assert "初级资格考试合格（2027 年）" in page.inner_text("#level-result")
    check_page(page, "成绩查询-已发布", found)

    # 成绩已发布 told once: the notification job run by two more processes at once (as two nodes' would, beside
    # the server's own), then one SMS in the outbox and one message on the candidate's 消息 page.
    jobs = [subprocess.Popen([sys.executable, "-m", "cli", "notify"], cwd=ROOT, env=server_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    assert all(job.wait(timeout=120) == 0 for job in jobs), [job.stderr.read() for job in jobs]
    outbox = page.context.new_page()
    outbox.goto("/dev/outbox")
    told = outbox.locator("#outbox tbody tr", has_text=PHONE).filter(has_text="成绩已发布")
    assert told.count() == 1 and "请登录平台进行成绩查询" in told.inner_text()
    # Every SMS of the journey once: 注册's code, 审核通过, 成绩已发布 (a notification's row has no code).
    texts = [row.locator("td").nth(3).inner_text() for row in outbox.locator("#outbox tbody tr", has_text=PHONE).all()]
    assert len(texts) == len(set(texts)) and sum("审核通过" in t for t in texts) == 1, texts
    outbox.close()
    page.goto("/messages")
    assert page.locator("#message-list li", has_text="成绩已发布").count() == 1
    office.goto(PAGE)
    check_page(office, "成绩管理-已发布", found)
    office.click("a:has-text('合格率统计')")
    office.wait_for_selector("#pass-by-subject")
    assert "100.0%" in office.inner_text("#pass-by-subject")
    check_page(office, "统计-合格率", found)
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
