"""成绩 in Chromium (issue 16): a paid and seated candidate of 北京 finds no score before the publication; the
office uploads a file on its board by keyboard (a refused row first: nothing imported), confirms the corrected
file, sets the publication time; the candidate reaches 成绩查询 from 准考证打印 and sees each subject with its
score, 合格 / 不合格 and the level's result. Without JavaScript the office previews and confirms a correction.
The new pages are checked with axe (WCAG A/AA) at 1366 and 375 px, no wider than the phone, 44 px targets."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import log_in_reviewer, pay, register, submit_in_beijing, verify_and_add_education
from tests.browser.pagecheck import check_page as _check

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13700137060"


def check_page(page, state: str, found: list[str]) -> None:
    _check(page, state, found, "scores")


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
