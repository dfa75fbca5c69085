"""axe-core (tests/browser/vendor/, WCAG 2.0/2.1/2.2 A and AA rules) over every page state of the candidate's
and the reviewer's journeys: the pages as they first show, with validation errors, with their dialogs open
(生僻字, 实名认证, 咨询电话), the reviewers' board with a selected row and a detail open. Each state is checked
at 1366 px and at 375 px wide, as it stands (the viewport is resized in place, so an open dialog stays open).

The failure lists every violation: the state, the width, the rule, its impact and the elements' selectors.
axe runs through the DevTools protocol (page.evaluate), which the pages' CSP (script-src 'self') does not
govern, so the pages are checked with their real CSP in force.
"""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.flows import (add_education, fill_personal, image, new_id, outbox_code, scan_on_phone,
                                 site_subjects_and_photo)
from tests.browser import extra_pages
from tests.factories import images, pdf

AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = ((1366, 900), (375, 812))

RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.map(n => n.target.join(" ")).slice(0, 6)}));
}"""


class Axe:
    """Runs axe on the page's current state at both widths and keeps what it found, for one failure at the end."""

    def __init__(self):
        self.source = AXE.read_text()
        self.found: list[str] = []
        self.states: list[str] = []

    def check(self, page, state: str) -> None:
        page.wait_for_load_state("load")
        size = page.viewport_size
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            if not page.evaluate("() => typeof window.axe === 'object'"):
                page.evaluate(self.source)
            for v in page.evaluate(RUN, TAGS):
                self.found.append(f"{state} @{width}px: {v['id']} ({v['impact']}) {v['help']}: "
                                  + " | ".join(v["targets"]))
        page.set_viewport_size(size)
        self.states.append(state)

    def assert_clean(self) -> None:
        assert not self.found, f"axe found {len(self.found)} violation(s):\n" + "\n".join(self.found)


def test_axe_finds_nothing_on_the_candidates_and_the_reviewers_pages(page, browser, server_url, server_env):
    axe = Axe()
    check = axe.check
    page.set_viewport_size({"width": 1366, "height": 900})

    # ---------------------------------------------------------------- anonymous
    page.goto("/")
    check(page, "首页")
    page.goto("/help")
    check(page, "帮助中心")
    page.goto("/login")
    page.wait_for_selector("#wechat-panel img.qr")  # 微信扫码 on the 登录 page itself (htmx, wide screens)
    check(page, "登录")
    page.set_viewport_size({"width": 375, "height": 812})
    assert not page.is_visible("#wechat-panel img.qr") and page.is_visible("#wechat-page")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("#login-form .actions button")
    page.wait_for_selector(".error-summary")
    check(page, "登录 with errors")
    page.goto("/login/wechat/")
    check(page, "微信扫码登录")
    page.set_viewport_size({"width": 375, "height": 812})  # a phone: no QR code to scan, a link to WeChat instead
    assert not page.is_visible("img.qr") and page.is_visible("#wechat-on-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/forgot")
    check(page, "找回密码")
    page.click("button:has-text('确认重置密码')")
    page.wait_for_selector(".error-summary")
    check(page, "找回密码 with errors")
    page.goto("/register")
    check(page, "注册")
    page.click("[data-rare-picker]")
    page.fill("#rare-dialog input[name=pinyin]", "yan")
    page.wait_for_selector("#rare-results [data-char='䶮']")
    check(page, "注册 with the 生僻字 dialog open")
    page.keyboard.press("Escape")
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_selector(".error-summary")
    check(page, "注册 with errors")
    page.fill("#phone", "1370013")
    page.fill("#captcha", "TEST")
    page.click("#sms-box button >> visible=true")
    page.wait_for_selector("#phone-error, #sms-box .field-error")
    check(page, "注册 with the SMS refused")
    page.goto("/rarechars?pinyin=yan&back=/register")
    check(page, "生僻字 page (without JavaScript)")

    # ---------------------------------------------------------------- 注册 → 实名认证 → 信息采集
    phone = "13700137087"
    page.goto("/register")
    page.fill("#id_number", new_id(87))
    page.fill("#name", "周䶮")
    page.fill("#password", "Passw0rd2027")
    page.fill("#password2", "Passw0rd2027")
    page.fill("#phone", phone)
    page.fill("#captcha", "TEST")
    page.click("#sms-box button >> visible=true")
    page.wait_for_selector("#sms-box button[disabled] >> visible=true")
    check(page, "注册 with the SMS sent")
    page.fill("#sms_code", outbox_code(page, phone))
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_url(re.compile(r"welcome=1"))
    check(page, "首页 after 注册")
    page.goto("/account")
    check(page, "账号信息")
    page.goto("/")
    page.click("#profile-entry")
    page.wait_for_selector("#realname-modal")
    check(page, "首页 with the 实名认证 modal")
    page.goto("/realname")
    check(page, "实名认证")
    page.click("#online button.primary")
    page.wait_for_selector(".error-summary")
    check(page, "线上实名认证 with errors")
    page.goto("/realname")
    page.click("button:has-text('支付宝实名认证')")
    page.wait_for_url(re.compile(r"/realname/alipay/"))
    check(page, "支付宝实名认证")
    page.set_viewport_size({"width": 375, "height": 812})  # a phone: a link to the 支付宝 confirmation instead
    assert not page.is_visible("img.qr") and page.is_visible("#alipay-on-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    scan_on_phone(page, "确认授权")
    page.goto(re.sub(r"^https?://[^/]+", "", page.url))
    page.wait_for_url(re.compile(r"/profile"))
    check(page, "信息采集")
    page.goto("/profile/basic")
    check(page, "信息采集 基本信息")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".error-summary")
    check(page, "信息采集 基本信息 with errors")
    page.goto("/profile/education")
    check(page, "学历信息")
    add_education(page, "2012-07-01")
    check(page, "学历信息 with an entry")
    page.goto("/profile/degree")
    check(page, "学位信息")
    page.goto("/profile/work")
    check(page, "工作信息")

    # ---------------------------------------------------------------- 网上报名
    page.goto("/exams")
    check(page, "选择考试")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/province$"))
    check(page, "选择省份")
    page.locator("#provinces tr", has_text="北京").locator("summary").first.click()
    check(page, "选择省份 with 咨询电话 open")
    page.locator("#provinces tr", has_text="北京").locator("button:has-text('点击进入')").click()
    page.wait_for_url(re.compile(r"/notice$"))
    check(page, "阅读须知")
    page.evaluate("() => { document.getElementById('agree-next').disabled = false; }")
    page.click("#agree-next")
    page.wait_for_selector("#agree-error")
    check(page, "阅读须知 with its error")
    page.check("#agree")
    page.click("#agree-next")
    page.wait_for_url(re.compile(r"/announcements$"))
    check(page, "通知公告")
    page.locator("#main a[href*='/announcements/']").first.click()
    page.wait_for_url(re.compile(r"/announcements/\d+$"))
    check(page, "通知公告 one announcement")
    page.go_back()
    page.click("button:has-text('已阅读并知晓')")
    page.wait_for_url(re.compile(r"/condition$"))
    check(page, "选择报考条件")
    page.click("button:has-text('下一步')")
    page.wait_for_selector(".error-summary, .field-error")
    check(page, "选择报考条件 with its error")
    page.check("input[value='chuji_high_school']")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/info$"))
    check(page, "报名信息填写")
    page.fill("#address", "")
    page.click("button:has-text('确认无误，下一步') >> visible=true")
    page.wait_for_selector(".error-summary")
    check(page, "报名信息填写 with errors")
    page.set_input_files("#photo", image("small.jpg", images.jpeg(100, 140)))
    page.click("button:has-text('上传照片')")
    page.wait_for_selector("#photo-error")
    check(page, "报名信息填写 with a refused photo")
    page.select_option("#city", label="朝阳区")
    page.set_input_files("#photo", image("me.jpg", images.jpeg(1800, 2400, quality=97)))
    page.click("button:has-text('上传照片')")
    page.wait_for_selector("figure.preview")
    check(page, "报名信息填写 with the photo preview")
    page.click("button:has-text('使用此照片')")
    page.wait_for_selector("img.id-photo")
    site_subjects_and_photo(page)
    fill_personal(page, "zhou@example.com")
    page.click("button:has-text('确认无误，下一步') >> visible=true")
    page.wait_for_url(re.compile(r"/materials$"))
    check(page, "证明材料上传")
    page.locator("#materials input[type=file]").first.set_input_files(image("x.txt", b"not a file", "text/plain"))
    page.locator("#materials button:has-text('上传')").first.click()
    page.wait_for_selector("#materials .field-error")
    check(page, "证明材料上传 with a refused file")
    page.goto(re.sub(r"^https?://[^/]+", "", page.url).replace("/materials/upload", "/materials"))
    # A file chosen without pressing 上传 goes with 下一步 (the inputs belong to its form, form="materials-form").
    page.locator("#materials input[type=file]").first.set_input_files(
        {"name": "diploma.pdf", "mimeType": "application/pdf", "buffer": pdf(2)})
    page.click("#materials-next")
    page.wait_for_url(re.compile(r"/confirm$"))
    assert "学历证书（选传）（PDF，2页）" in page.inner_text("#main")
    check(page, "信息确认")
    app_path = re.sub(r"^https?://[^/]+", "", page.url).rsplit("/", 1)[0]
    page.goto(app_path + "/restart")
    check(page, "重新报名 confirmation")
    page.goto(app_path + "/confirm")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    check(page, "审核告知 待审核")
    page.goto("/")
    check(page, "首页 with an application")

    # ---------------------------------------------------------------- the reviewer
    reviewer = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    reviewer.set_viewport_size({"width": 1366, "height": 900})
    reviewer.goto("/review")
    check(reviewer, "审核 登录")
    reviewer.click("#review-login-form .actions button")
    reviewer.wait_for_selector(".error-summary, .field-error")
    check(reviewer, "审核 登录 with errors")
    reviewer.fill("#username", "beijing")
    reviewer.fill("#password", "Shenhe2027")
    reviewer.fill("#captcha", "TEST")
    reviewer.click("#review-login-form .actions button")
    reviewer.wait_for_selector("#queue-table")
    check(reviewer, "报名审核")
    reviewer.fill("#q", "周")  # the search (posted, kept in the session) in force, with its 清除
    reviewer.keyboard.press("Enter")
    reviewer.wait_for_selector("#search-clear:not([hidden])")
    check(reviewer, "报名审核 with a search in force")
    reviewer.click("#search-clear")
    reviewer.wait_for_selector("#search-clear[hidden]", state="attached")
    # 清除 hands focus to the emptied field (once the swap has settled), where j is typed, not a shortcut: Tab out of it first, as a
    # keyboard user does (the next stop is the 搜索 button, where shortcuts apply).
    expect(reviewer.locator("#q")).to_be_focused()  # Playwright's own check (a predicate string is eval'd: CSP)
    row = reviewer.locator("#queue-table tr[data-row]", has_text="周")
    reviewer.keyboard.press("Tab")
    reviewer.keyboard.press("j")
    reviewer.wait_for_selector("#queue-table tr.selected")
    check(reviewer, "报名审核 with a selected row")
    row.locator("[data-open]").click()
    reviewer.wait_for_selector("#detail [data-app]")
    check(reviewer, "报名审核 with a detail open")
    reviewer.goto(row.locator("[data-open]").get_attribute("href"))
    check(reviewer, "报名详情 page")
    reviewer.click("#approve")
    reviewer.wait_for_selector("text=审核通过")
    reviewer.goto("/review/realname")
    check(reviewer, "实名审核")
    reviewer.goto("/review/photos")
    check(reviewer, "照片复核")
    reviewer.goto("/review/stats")
    check(reviewer, "统计")
    reviewer.goto("/review/reconcile")
    check(reviewer, "对账")

    # ---------------------------------------------------------------- 网上缴费 and the printed form
    page.goto(app_path + "/result")
    check(page, "审核告知 审核通过")
    page.goto(app_path + "/pay")
    check(page, "网上缴费")
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    check(page, "网上缴费 with an order")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(r"/pay/return/"))
    check(page, "支付结果")
    page.goto(app_path + "/pay")
    check(page, "网上缴费 已支付")
    page.goto("/")
    check(page, "首页 after 报名成功")
    page.goto("/no-such-page")
    check(page, "页面不存在")
    reviewer.context.close()

    # ---------------------------------------------------------------- pages off the main journey
    extra_pages.verify(page, app_path)
    check(page, "报名表核验")
    extra_pages.closed_province(page)
    check(page, "报名已结束")
    extra_pages.method_not_allowed(page)
    check(page, "405 无法直接打开该地址")
    extra_pages.busy(page, server_env)
    check(page, "系统繁忙")
    anonymous = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    extra_pages.wechat_bind(anonymous)
    check(anonymous, "绑定已注册账号 (a first 微信扫码)")
    anonymous.context.close()
    # The 生僻字 page as a browser without JavaScript gets it is checked above ("生僻字 page (without
    # JavaScript)"): axe needs JavaScript, and Playwright's evaluate waits forever in a context without it.

    assert len(axe.states) >= 67
    axe.assert_clean()
