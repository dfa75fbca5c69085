"""Past 报名成功 in Chromium: a candidate of 北京 with a rare name is approved and pays, is told the rooms are not
arranged yet, the office arranges the province on its board, the candidate prints the 准考证 (read back with pypdf
and fontTools), checks it on the public verification page, and the office's 签到表 of that room lists them at
that seat. The new pages are checked with axe (WCAG A/AA) at 1366 and 375 px, by keyboard and without JavaScript."""
from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader

from services.accounts.names import mask_name
from tests.browser.flows import log_in, log_in_reviewer, pay, register, submit_in_beijing, verify_and_add_education
from tests.browser.pagecheck import check_page as _check
from tests.factories import drawn_chars

NAME = "欧阳䶮𠀀"  # an Ext A and an Ext B character
PHONE = "13700137093"


def check_page(page, state: str, found: list[str]) -> None:
    _check(page, state, found, "ticket")


def download(page, selector: str) -> bytes:
    with page.expect_download() as d:
        page.click(selector)
    return Path(d.value.path()).read_bytes()


def text_of(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_the_office_arranges_and_the_candidate_prints_the_ticket(page, browser, server_url):
    found: list[str] = []
    register(page, 93, NAME, PHONE)
    verify_and_add_education(page)
    app_id = submit_in_beijing(page)

    office = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    office.set_default_timeout(10_000)
    log_in_reviewer(office)
    office.goto(f"/review/applications/{app_id}")
    office.click("#approve")
    office.wait_for_selector("#detail-status:has-text('审核通过')")

    pay(page, app_id)
    # 北京's 准考证打印 window is open: the button is there, but the rooms are not arranged yet.
    page.goto(f"/apply/{app_id}/pay")
    page.click(f"#print-ticket-{app_id}")
    page.wait_for_selector("#ticket-refused")
    assert "考场尚未编排" in page.inner_text("#ticket-reason")
    check_page(page, "准考证打印 before the arrangement", found)

    # The office: 考场编排 of 北京 on its board, before 缴费 has closed, so with the confirmation.
    office.goto("/review/arrangement/demo-chuji/11")
    office.check("#confirm_early")
    office.click("#arrange")
    office.wait_for_selector("#arrangement-done")
    assert "编排完成" in office.inner_text("#arrangement-done")

    # The candidate: the 准考证打印 page from the home page shows the number and the seat, and prints.
    page.goto("/")
    page.click("#ticket-entry")
    page.wait_for_selector(f"#ticket-number-{app_id}")
    number = page.inner_text(f"#ticket-number-{app_id}")
    where = page.inner_text(f"#ticket-{app_id}")
    room, seat = re.search(r"第(\d{3})考场 (\d{2})号座位", where).groups()
    check_page(page, "准考证打印", found)
    data = download(page, f"#print-ticket-{app_id}")
    text = text_of(data)
    for expected in (NAME, f"准考证号{number}", "考试日期2027年5月15日（星期六）", "考试时间08:30—11:50",
                     "考试科目初级会计实务、经济法基础", f"考场第{room}考场", f"座位号{seat}", "考试须知"):
        assert expected in text, expected
    drawn = drawn_chars(data)
    assert all(ch in drawn for ch in NAME), [f"U+{ord(ch):04X}" for ch in NAME if ch not in drawn]
    # by keyboard: the button is a link, Enter on it prints as well
    page.focus(f"#print-ticket-{app_id}")
    with page.expect_download() as again:
        page.keyboard.press("Enter")
    assert number in text_of(Path(again.value.path()).read_bytes())
    # the home page's row offers it too
    page.goto("/")
    assert page.locator(f"#application-{app_id} #print-ticket-{app_id}").count() == 1

    # The public verification page of the ticket's QR code: masked, with the sessions.
    url = re.search(r"(http://127\.0\.0\.1:\d+/tickets/verify/[0-9A-Z]{16})", text).group(1)
    visitor = browser.new_context(locale="zh-CN", java_script_enabled=False).new_page()
    visitor.goto(url)
    shown = visitor.inner_text("#verify-result")
    assert "真实有效" in shown and mask_name(NAME) in shown and NAME not in shown and number in shown
    assert f"第{room}考场" in shown and "初级会计实务、经济法基础" in shown
    page.goto(url)  # axe needs JavaScript in the page it checks
    check_page(page, "准考证核验", found)
    visitor.goto(url[:-4] + "2345")
    assert "未能核验该准考证" in visitor.inner_text("#verify-result")
    page.goto(url[:-4] + "2345")
    check_page(page, "准考证核验, an unknown code", found)

    # Without JavaScript the candidate prints the same ticket.
    nojs = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False).new_page()
    log_in(nojs, PHONE)
    nojs.wait_for_url(re.compile(r"/$|/\?"))
    nojs.goto("/tickets")
    assert number in text_of(download(nojs, f"#print-ticket-{app_id}"))

    # The office's 签到表 of that room lists the candidate at that seat (the board's link for the room).
    office.goto("/review/arrangement/demo-chuji/11")
    site = office.locator("details.arrangement-site", has_text="朝阳区财政局会计考试报名点")
    if not site.get_attribute("open") == "":
        site.locator("summary").click()
    link = site.locator("tr", has_text=f"第 {int(room)} 考场").locator("a", has_text="签到表")
    sheet = text_of(download(office, f"a[href='{link.get_attribute('href')}']"))
    assert f"{seat}{number}{NAME}" in sheet and f"第{room}考场" in sheet

    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
