"""From approval to 报名成功 to the printed form, in Chromium: 告知承诺 (浙江) approves at submission, then
网上缴费 with the sandbox gateway, whose notification reaches the server as a real HTTP request."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.browser.flows import fill_personal, register, site_subjects_and_photo, to_info, verify_and_add_education


def submit_in_zhejiang(page):
    to_info(page, "浙江")
    page.select_option("#city", label="杭州市")
    site_subjects_and_photo(page)
    fill_personal(page, "zj@example.com")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    page.check("#commitment")
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    assert "审核通过" in page.inner_text("#review-notice")


def test_pay_after_approval_then_print_the_form(page):
    register(page, 41, "钱塘江", "13700137041")
    verify_and_add_education(page)
    submit_in_zhejiang(page)

    page.goto("/exams")  # choosing the exam again goes straight to 网上缴费
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/pay$"))
    assert page.inner_text("#pay-state") == "未生成订单" and page.inner_text("#order-number") == ""
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")  # filled in place by htmx
    number = page.inner_text("#order-number")
    assert re.fullmatch(r"\d{8}-33-[0-9A-Z]+", number) and page.inner_text("#order-amount") == "¥100.00"  # 浙江: ¥50 per subject
    assert page.inner_text("#pay-state") == "待支付"

    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))  # the sandbox gateway's own page
    assert number in page.content() and "100.00" in page.content()
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(rf"/pay/return/{number}$"))
    assert "报名成功" in page.inner_text("#pay-success")

    page.goto("/exams")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/pay$"))
    assert page.inner_text("#pay-state") == "已支付" and page.locator("#restart").count() == 0
    with page.expect_download() as download:
        page.click("#print-form")
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "钱塘江" in text and number in text and "已支付" in text
