"""Journeys that need a browser: the rare-character picker inserting at the cursor, the SMS countdown,
htmx polling of the WeChat QR login, and the same registration and login with JavaScript switched off."""
from __future__ import annotations

import re

from tests.browser.flows import log_in, new_id, outbox_code, register, scan_on_phone


def test_register_with_a_rare_character_then_log_out_and_in(page):
    page.goto("/register")
    page.fill("#id_number", new_id(1))
    page.fill("#name", "李")
    page.click("[data-rare-picker]")
    page.fill("#rare-dialog input[name=pinyin]", "yan")
    page.locator("#rare-results button[data-char='䶮']").click()
    assert page.input_value("#name") == "李䶮"
    page.fill("#password", "Passw0rd2027")
    page.fill("#password2", "Passw0rd2027")
    page.fill("#phone", "13700137001")
    # No SMS without the image captcha: a wrong answer is refused next to it and a new image replaces it.
    old_image = page.get_attribute("#sms-captcha img", "src")
    page.fill("#captcha", "WRONG")
    page.click("#sms-box button")
    page.wait_for_selector("#captcha-error")
    assert "验证码错误" in page.inner_text("#captcha-error")
    assert page.get_attribute("#sms-captcha img", "src") != old_image
    page.fill("#captcha", "TEST")
    page.click("#sms-box button")
    page.wait_for_selector("#sms-box button[disabled]")
    assert "秒后重新获取" in page.inner_text("#sms-box button")
    page.fill("#sms_code", outbox_code(page, "13700137001"))
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    assert page.inner_text(".user .who") == "李*"

    page.click("text=退出")
    page.wait_for_selector("text=会计人员登录")
    log_in(page, "13700137001", captcha="WRONG")
    page.wait_for_selector("#captcha-error")
    assert "验证码错误" in page.inner_text("#captcha-error")
    page.fill("#password", "Passw0rd2027")
    page.fill("#captcha", "TEST")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".user .who")
    assert page.inner_text(".user .who") == "李*"


def test_wechat_qr_login_binds_on_first_scan(page):
    register(page, 2, "王小明", "13700137002")  # an account to bind to
    page.click("text=退出")
    page.wait_for_selector("text=会计人员登录")

    page.goto("/login")
    page.click("text=微信扫码登录 >> nth=-1")
    page.wait_for_selector("img.qr")
    scan_on_phone(page, "确认登录", done="已确认登录")
    page.wait_for_url(re.compile(r"/bind$"), timeout=15_000)  # htmx polling moved on by itself
    page.fill("#id_number", new_id(2))
    page.fill("#password", "Passw0rd2027")
    page.fill("#captcha", "TEST")
    page.click("button:has-text('绑定并登录')")
    page.wait_for_selector(".user .who")
    assert page.inner_text(".user .who") == "王*明"


def test_register_and_log_in_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/register")
    page.select_option("#id_type", "passport")
    page.fill("#id_number", "E7654321")
    page.fill("#name", "Anna Lee")
    page.fill("#phone", "13700137003")
    page.fill("#captcha", "TEST")
    page.click("#sms-box button")  # submits the whole form to /sms/send and comes back as a page
    page.wait_for_selector("text=验证码已发送至手机")
    assert page.input_value("#name") == "Anna Lee" and page.input_value("#password") == ""
    code = outbox_code(page, "13700137003")
    page.fill("#password", "Passw0rd2027")
    page.fill("#password2", "Passw0rd2027")
    page.fill("#sms_code", code)
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_selector(".user .who")
    assert page.inner_text(".user .who") == "A*** L**"

    page.click("text=退出")
    log_in(page, "E7654321")
    page.wait_for_selector(".user .who")

    page.goto("/rarechars?pinyin=yan")
    assert page.locator("#rare-results button[data-char='䶮']").count() == 1
