"""The complete journey in Chromium with JavaScript switched off (issue 14): 注册 with a rare character chosen
through the 生僻字 page, 登录 after 看不清, 实名认证, 信息采集, the wizard, 提交, the reviewer's 通过, 网上缴费 with
the sandbox gateway, and 报名表打印 (the PDF read back). Every request URL the browser sent is collected and
none carries the candidate's personal data or the CSRF token."""
from __future__ import annotations

import io
import re
import sqlite3
from urllib.parse import quote, unquote

from pypdf import PdfReader

from tests.browser.flows import (
    fill_personal,
    new_id,
    outbox_code,
    site_subjects_and_photo,
    to_info,
    verify_and_add_education,
)

PASSWORD = "Passw0rd2027"
PHONE = "13700137091"
EMAIL = "wangyan@example.com"
ADDRESS = "北京市朝阳区建国路1号"  # what fill_personal types


def stored(server_env, sql: str, *args):
    path = server_env["DATABASE_URL"].removeprefix("sqlite://")
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchone()


def test_the_whole_journey_without_javascript(browser, server_url, server_env):
    ctx = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False)
    ctx.set_default_timeout(15_000)
    urls: list[str] = []
    ctx.on("request", lambda r: urls.append(r.url))
    page = ctx.new_page()
    id_number = new_id(91)

    # 注册: the first part of the name typed, then 生僻字 (a POST of the form to the search page).
    page.goto("/register")
    page.fill("#id_number", id_number)
    page.fill("#name", "王")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.fill("#phone", PHONE)
    page.click("button[data-rare-picker]")
    page.wait_for_selector("h1:has-text('选择生僻字')")
    assert page.inner_text("#typed-name") == "王"
    page.fill("input[name=pinyin]", "yan")
    page.click("#rare-pick-search")
    page.click("#rare-results button[value='䶮']")
    page.wait_for_selector("#register-form")
    assert page.input_value("#name") == "王䶮" and page.input_value("#id_number") == id_number
    assert page.input_value("#phone") == PHONE and page.input_value("#password") == ""  # never shown again
    assert page.is_visible("#passwords-kept")  # ... but kept, sealed

    # 免费获取验证码 without JavaScript: the whole form comes back as typed, the passwords still kept.
    page.fill("#captcha", "TEST")
    page.click("#sms-box button")
    page.wait_for_selector("text=验证码已发送至手机")
    assert page.input_value("#name") == "王䶮" and page.is_visible("#passwords-kept")
    page.fill("#sms_code", outbox_code(page, PHONE))
    page.click("#register-form .actions button[type=submit]")
    page.wait_for_url(re.compile(r"welcome=1"))
    assert page.inner_text(".user .who") == "王*"
    assert stored(server_env, "SELECT name FROM account WHERE phone = ?", PHONE) == ("王䶮",)

    # 登录: 看不清 gives a new image and keeps what was typed.
    page.click("text=退出")
    page.goto("/login")
    page.fill("#login", PHONE)
    page.fill("#password", PASSWORD)
    before = page.get_attribute("button.captcha img", "src")
    page.click("button.captcha")
    page.wait_for_selector("#password-kept")
    assert page.input_value("#login") == PHONE and page.get_attribute("button.captcha img", "src") != before
    page.fill("#captcha", "TEST")
    page.click("#login-form .actions button[type=submit]")
    page.wait_for_selector(".user .who")

    # 实名认证 (支付宝, the sandbox's page confirmed) and 信息采集 (an education).
    verify_and_add_education(page)

    # 网上报名, 选择考试 → 报名信息填写.
    to_info(page, "北京")
    app_id = int(re.search(r"/apply/(\d+)/", page.url).group(1))
    fill_personal(page, EMAIL)
    page.select_option("#city", label="朝阳区")
    page.click("button:has-text('更新报名点')")  # a POST of the form, then the page again (PRG)
    page.wait_for_selector("#site option:nth-child(2)", state="attached")
    assert page.input_value("#email") == EMAIL and page.input_value("#address") == ADDRESS  # kept, not in the URL
    assert page.inner_text("#fee") == "应缴费用：¥0.00"
    page.check("input[value='初级会计实务']")
    page.check("input[value='经济法基础']")
    page.click("button:has-text('计算费用')")
    page.wait_for_selector("#fee:has-text('¥112.00')")
    site_subjects_and_photo(page)  # 上传照片 (and 使用此照片): each a redirect back to the page
    assert page.url.endswith("/info#photo-box") and page.input_value("#email") == EMAIL
    page.reload()  # reload after 上传照片: the page, not 页面不存在
    assert page.locator("h1", has_text="报名信息填写").count() == 1 and page.input_value("#email") == EMAIL
    assert page.inner_text("#fee") == "应缴费用：¥112.00"
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    assert "王䶮" in page.inner_text("main")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    assert "待审核" in page.inner_text("#review-notice")
    assert stored(server_env, "SELECT status, cand_name FROM application WHERE id = ?", app_id) == ("submitted", "王䶮")

    # The reviewer approves it, also without JavaScript (the detail page's plain form).
    reviewer = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False).new_page()
    reviewer.goto("/review")
    reviewer.fill("#username", "beijing")
    reviewer.fill("#password", "Shenhe2027")
    reviewer.fill("#captcha", "TEST")
    reviewer.click("#review-login-form .actions button[type=submit]")
    reviewer.wait_for_selector("#queue-table")
    reviewer.goto(f"/review/applications/{app_id}")
    reviewer.click("#approve")
    reviewer.wait_for_selector("text=审核通过")
    reviewer.context.close()
    assert stored(server_env, "SELECT status FROM application WHERE id = ?", app_id) == ("approved",)

    # 网上缴费: 生成订单 (a POST, then the page again), the fee shown, the sandbox gateway's 确认支付.
    page.goto(f"/apply/{app_id}/result")
    page.goto(f"/apply/{app_id}/pay")
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    assert page.inner_text("#order-amount") == "¥112.00"
    number = page.inner_text("#order-number")
    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(rf"/pay/return/{number}$"))
    if page.locator("#pay-success").count() == 0:  # the notification not yet in: ask the gateway
        page.click("button:has-text('查询支付结果')")
    page.wait_for_selector("#pay-success")
    assert stored(server_env, "SELECT status FROM application WHERE id = ?", app_id) == ("paid",)

    # 报名表打印: the PDF, with the rare character in the name.
    page.goto(f"/apply/{app_id}/pay")
    with page.expect_download() as download:
        page.click("#print-form")
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "王䶮" in text and number in text

    # No URL of the whole journey carries anything personal or the CSRF token.
    token = page.get_attribute("input[name=csrf_token]", "value")
    secrets_ = [id_number, PHONE, EMAIL, ADDRESS, "建国路", token, "䶮", PASSWORD]
    for url in urls:
        for s in secrets_:
            assert s not in url and quote(s) not in url and s not in unquote(url), (s, url)
    assert any("/register/rarechars" not in u for u in urls) and len(urls) > 40
    ctx.close()
