"""The candidate's journey on phones: every page at 320×640 and 375×812 is no wider than the screen, every
button and link is a tap target of at least 44×44 px (unless it is a link inside running text), and no field
has text under 16 px (iOS zooms into those on focus). One journey, 注册 to 报名表打印, measured at both widths
on every page by resizing the viewport; the reviewer's approval in between is checked at 1366 px, where the
queue must show 缴费状态 and 通过 without a horizontal scroll, and the board's pages on a reviewer's phone too.

Set LAYOUT_SCREENSHOTS=/some/folder to also keep a full-page screenshot of every page at 375, 320 and 1280 px.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from tests.browser.flows import (add_education, fill_personal, image, log_in_reviewer, register, scan_on_phone,
                                 site_subjects_and_photo)
from tests.browser import extra_pages
from tests.factories import images

SIZES = [(320, 640), (375, 812)]

# Run in the page: the document's width, the tap targets under 44×44 and the fields under 16 px, each named
# by a short selector. A link is exempt when it is inline in running text (WCAG 2.5.5's "inline" exception):
# the lines of its block hold text besides the link (other links, buttons and nested blocks do not count).
MEASURE = """() => {
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    return text ? s + ' "' + text.slice(0, 24) + '"' : s;
  };
  const isInline = (el) => getComputedStyle(el).display.startsWith('inline');
  const lineText = (node) => [...node.childNodes].map((c) => c.nodeType === Node.TEXT_NODE ? c.textContent
      : c.nodeType === Node.ELEMENT_NODE && isInline(c) && !c.matches('a, button, input, select, textarea')
        ? lineText(c) : '').join('');
  const inlineInText = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && isInline(block)) block = block.parentElement;
    const own = el.textContent.replace(/\\s+/g, '').length;
    return block && (lineText(block) + el.textContent).replace(/\\s+/g, '').length > own;  // the text of its own lines only
  };
  const shown = (el) => el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true});
  const small = [], fonts = [];
  for (const el of document.querySelectorAll(
      "button, a[href], [role=button], input[type=submit], input[type=button], summary")) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.tagName === 'A' && inlineInText(el)) continue;
    if (r.width < 43.5 || r.height < 43.5) small.push(name(el) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  for (const el of document.querySelectorAll(
      "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]):not([type=submit]), select, textarea")) {
    if (!shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16) fonts.push(name(el) + ' ' + size + 'px');
  }
  return {width: document.documentElement.scrollWidth, viewport: window.innerWidth, small, fonts};
}"""


class Layout:
    """Measures each page at both widths, collecting every failure so that one run lists them all."""

    def __init__(self, page):
        self.page, self.failures, self.seen = page, [], []
        self.shots = os.environ.get("LAYOUT_SCREENSHOTS")
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)

    def check(self, label: str) -> None:
        self.seen.append(label)
        for width, height in SIZES:
            self.page.set_viewport_size({"width": width, "height": height})
            m = self.page.evaluate(MEASURE)
            where = f"{label} @{width}px ({self.page.url})"
            if m["width"] > m["viewport"]:
                self.failures.append(f"{where}: the page is {m['width']} px wide")
            self.failures += [f"{where}: tap target {s}" for s in m["small"]]
            self.failures += [f"{where}: text of {s} (iOS zooms in)" for s in m["fonts"]]
        if self.shots:
            self.page.screenshot(path=f"{self.shots}/{len(self.seen):02d}-{label}.png", full_page=True)
            for width in (320, 1280):
                self.page.set_viewport_size({"width": width, "height": 800})
                self.page.screenshot(path=f"{self.shots}/{len(self.seen):02d}-{label}-{width}.png", full_page=True)
            self.page.set_viewport_size({"width": 375, "height": 812})


def guide_collapses_on_a_phone(page) -> None:
    """报名导览 is one line on a phone, the whole list a tap away (a <details>: no JavaScript needed), and the
    list itself on a wide screen."""
    where = page.locator(".guide summary")
    assert where.inner_text().split("\n")[0].strip() == "第 3 步，共 10 步：阅读须知"
    assert not page.locator(".guide ol").is_visible()
    assert page.locator(".guide").bounding_box()["height"] < 140
    where.click()
    assert page.locator(".guide li[aria-current=step]").inner_text().startswith("阅读须知")
    where.click()
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator(".guide ol").is_visible() and not where.is_visible()
    page.set_viewport_size({"width": 375, "height": 812})
    assert not page.locator(".guide ol").is_visible()


def subjects_on_one_line(page) -> None:
    """报名科目's labels keep their words on one line, at 1280 px as on a phone (they wrapped one character a
    line when the checkbox took the label's room)."""
    for width in (1280, 375, 320):
        page.set_viewport_size({"width": width, "height": 800})
        for label in page.locator("#subjects label.check").all():
            box = label.bounding_box()
            assert box["height"] <= 44 and box["width"] > 80, f"{label.inner_text()} at {width} px: {box}"
    page.set_viewport_size({"width": 375, "height": 812})


def app_id(page) -> int:
    return int(re.search(r"/apply/(\d+)/", page.url).group(1))


def _anonymous_bind(browser, server_url):
    page = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    extra_pages.wechat_bind(page)
    return page


def test_every_page_of_the_journey_fits_a_phone(browser, server_url, server_env):
    context = browser.new_context(base_url=server_url, locale="zh-CN", viewport={"width": 375, "height": 812})
    context.set_default_timeout(10_000)
    page = context.new_page()
    layout = Layout(page)

    for path, label in (("/register", "注册"), ("/login", "登录"), ("/forgot", "找回密码"), ("/help", "帮助中心")):
        page.goto(path)
        layout.check(label)
    page.goto("/register")
    page.click("#register-form button[type=submit] >> text=注册")  # nothing typed: the messages
    page.wait_for_selector(".error-summary")
    layout.check("注册-有错误")
    page.click("[data-rare-picker]")
    page.fill("#rare-dialog input[name=pinyin]", "yan")
    page.wait_for_selector("#rare-dialog .rc")
    layout.check("注册-生僻字")
    page.keyboard.press("Escape")

    register(page, 71, "周芷若", "13700137071")
    layout.check("首页")
    page.goto("/realname")
    layout.check("实名认证")
    page.click("button:has-text('支付宝实名认证')")
    page.wait_for_url(re.compile(r"/realname/alipay/"))
    layout.check("支付宝实名认证")
    scan_on_phone(page, "确认授权")
    page.goto(re.sub(r"^https?://[^/]+", "", page.url))  # the status page moves on once authorised
    page.wait_for_url(re.compile(r"/profile"))
    layout.check("信息采集")
    page.goto("/profile/basic")
    layout.check("基本信息")
    page.goto("/profile/education")
    add_education(page, "2012-07-01")
    layout.check("学历信息")
    page.goto("/profile/degree")
    layout.check("学位信息")
    page.goto("/profile/work")
    layout.check("工作信息")

    page.goto("/exams")
    layout.check("选择考试")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/province$"))
    layout.check("选择省份")
    page.locator("#provinces .phones summary").first.click()
    layout.check("选择省份-咨询电话")
    page.locator("#provinces tr", has_text="北京").locator("button:has-text('点击进入')").click()
    page.wait_for_url(re.compile(r"/notice$"))
    layout.check("阅读须知")
    guide_collapses_on_a_phone(page)
    page.check("#agree")
    page.click("#agree-next")
    page.wait_for_url(re.compile(r"/announcements$"))
    layout.check("考试公告")
    page.click("button:has-text('已阅读并知晓')")
    page.wait_for_url(re.compile(r"/condition$"))
    layout.check("报考条件")
    page.check("input[value='chuji_high_school']")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/info$"))
    page.select_option("#city", label="朝阳区")
    site_subjects_and_photo(page)
    fill_personal(page, "zzr@example.com")
    layout.check("报名信息填写")
    subjects_on_one_line(page)
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    layout.check("证明材料上传")
    page.locator("#materials input[type=file]").first.set_input_files(image("diploma.jpg", images.jpeg(800, 600)))
    page.locator("#materials button:has-text('上传')").first.click()
    page.wait_for_selector("#materials button:has-text('删除')")
    layout.check("证明材料上传-已上传")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    layout.check("信息确认")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    layout.check("审核告知")
    number = app_id(page)

    # The reviewer, at 1366 px: the whole row is visible (缴费状态, 通过) without scrolling sideways.
    reviewer = browser.new_context(base_url=server_url, locale="zh-CN", viewport={"width": 1366, "height": 768})
    board = reviewer.new_page()
    log_in_reviewer(board)
    row = f"#row-{number}"
    board.wait_for_selector(row)
    scroll = board.eval_on_selector(".table-scroll", "e => [e.scrollWidth, e.clientWidth]")
    if scroll[0] > scroll[1]:
        layout.failures.append(f"审核 @1366px: the queue scrolls sideways, {scroll[0]} px in {scroll[1]} px")
    for target in ("#queue-table th:has-text('缴费状态')", f"{row} button:has-text('通过')"):
        box = board.locator(target).bounding_box()
        if not box or box["x"] + box["width"] > 1366 - 16:
            layout.failures.append(f"审核 @1366px: {target} is not on the screen: {box}")
    colours = board.eval_on_selector(row, "e => [getComputedStyle(e).color, getComputedStyle(document.body).color]")
    if colours[0] != colours[1]:
        layout.failures.append(f"审核 @1366px: a 待审核 row is drawn in {colours[0]}, not the text colour {colours[1]}")
    # The same board on a reviewer's phone: the queue's rows stacked, every page of the board within the screen.
    phone = Layout(board)
    phone.check("审核-报名审核")
    board.click(f"{row} [data-open]")
    board.wait_for_selector("#detail [data-app]")
    phone.check("审核-报名详情")
    for path, label in (("/review/realname", "审核-实名认证审核"), ("/review/photos", "审核-照片复核"),
                        ("/review/stats", "审核-统计"), ("/review/reconcile", "审核-对账"),
                        ("/review/arrangement", "审核-考场编排")):
        board.goto(path)
        phone.check(label)
    layout.failures += phone.failures
    board.set_viewport_size({"width": 1366, "height": 768})
    board.goto("/review")
    board.wait_for_selector(row)
    board.click(f"{row} button:has-text('通过')")
    board.wait_for_selector(f"{row}.status-approved")
    reviewer.close()

    page.goto(f"/apply/{number}/result")
    layout.check("审核告知-已通过")
    page.goto(f"/apply/{number}/pay")
    layout.check("网上缴费")
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    layout.check("网上缴费-已生成订单")
    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(r"/pay/return/"))
    assert "报名成功" in page.inner_text("#pay-success")
    layout.check("支付结果")
    page.goto(f"/apply/{number}/pay")
    page.wait_for_selector("#print-form")
    layout.check("报名成功-报名表打印")
    page.goto("/")
    layout.check("首页-已报名")
    # Pages off the main journey, as a candidate on a phone meets them.
    extra_pages.verify(page, f"/apply/{number}")
    layout.check("报名表核验")
    extra_pages.closed_province(page)
    layout.check("报名已结束")
    extra_pages.method_not_allowed(page)
    layout.check("405")
    extra_pages.busy(page, server_env)
    layout.check("系统繁忙")
    # The 生僻字 page that a browser without JavaScript is sent to (measured with JavaScript: Playwright's
    # evaluate waits forever in a context without it; the page is the same server-drawn HTML).
    page.goto("/rarechars?pinyin=yan&back=/register")
    layout.check("生僻字-无JavaScript")
    context.close()
    layout.page = _anonymous_bind(browser, server_url)
    layout.page.set_viewport_size({"width": 375, "height": 812})
    layout.check("绑定已注册账号")
    layout.page.context.close()

    assert len(layout.seen) == 37
    assert not layout.failures, f"{len(layout.failures)} layout failures:\n" + "\n".join(layout.failures)
