"""A candidate's whole journey in Chromium, cut into the steps the deployment tests interrupt: 注册, 实名认证 and
信息采集, the wizard up to 确认, 提交, 生成订单 and 支付 on the sandbox gateway, 报名表打印. The steps themselves are
tests/browser/flows.py's; the exam is bench/journey.toml's 浙江 (告知承诺: approved at submission, ¥50 a subject)."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from tests.browser.flows import (fill_personal, image, register, site_subjects_and_photo, to_info,
                                 verify_and_add_education)
from tests.factories import images

APP_ID = re.compile(r"/apply/(\d+)/")


def account_and_profile(page, seed: int, name: str) -> None:
    register(page, seed, name, f"137{seed:08d}")
    verify_and_add_education(page)


def to_confirm(page, email: str) -> int:
    """选择考试 → 浙江 → 阅读须知 → 报考条件 → 报名信息填写 (city, site, subjects, photo) → 确认; the application id."""
    to_info(page, "浙江")
    page.select_option("#city", label="杭州市")
    site_subjects_and_photo(page)
    assert photo_shown(page), "the uploaded photo did not load on 报名信息填写"
    fill_personal(page, email)
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/(materials|confirm)$"))
    if page.url.endswith("/materials"):  # bench/journey.toml's one optional 证明材料: uploaded, as bench/journey.py does
        page.set_input_files(".inline-upload input[type=file]", image("degree.jpg", images.jpeg(1200, 900)))
        page.click(".inline-upload button")
        page.wait_for_selector("button:has-text('删除')")
        page.click("button:has-text('下一步')")
        page.wait_for_url(re.compile(r"/confirm$"))
    return int(APP_ID.search(page.url).group(1))


def photo_shown(page) -> bool:
    """The photo <img> of the page has loaded (decoded, not a broken image)."""
    img = page.locator("img.id-photo").first
    img.wait_for()
    return page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                                  timeout=10_000) is not None


def click_submit(page) -> None:
    page.check("#commitment")
    page.click("#submit-application")


def submitted(page) -> None:
    page.wait_for_url(re.compile(r"/result$"))
    assert "审核通过" in page.inner_text("#review-notice")


def submit(page) -> None:
    click_submit(page)
    submitted(page)


def to_gateway(page) -> str:
    """网上缴费: 生成订单, 支付宝, 支付 → the sandbox gateway's page. Returns the order number."""
    page.goto("/exams")  # choosing the exam again goes straight to 网上缴费
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/pay$"))
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    number = page.inner_text("#order-number")
    assert page.inner_text("#order-amount") == "¥100.00"
    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    assert number in page.content()
    return number


def click_confirm_payment(page) -> None:
    page.click("button:has-text('确认支付')")


def paid(page, number: str) -> None:
    page.wait_for_url(re.compile(rf"/pay/return/{number}$"))
    assert "报名成功" in page.inner_text("#pay-success")


def print_form(page, name: str, number: str) -> bytes:
    """报名表打印 from the payment page; the PDF's bytes, checked to name the candidate and the order."""
    page.goto("/exams")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/pay$"))
    assert page.inner_text("#pay-state") == "已支付"
    with page.expect_download() as download:
        page.click("#print-form")
    data = open(download.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert name in text and number in text and "已支付" in text
    return data


def whole(page, seed: int, name: str) -> tuple[int, str]:
    account_and_profile(page, seed, name)
    app_id = to_confirm(page, f"c{seed}@example.com")
    submit(page)
    number = to_gateway(page)
    click_confirm_payment(page)
    paid(page, number)
    print_form(page, name, number)
    return app_id, number
