"""网上报名 in Chromium, with and without JavaScript, from 选择考试 to the end of 报名信息填写."""
from __future__ import annotations

import re

from tests.factories import images
from tests.browser.flows import fill_personal, image, register, site_subjects_and_photo, verify_and_add_education




def finish(page):
    """证明材料上传 (an optional item in 北京 初级) → 信息确认 → 提交 → 审核告知."""
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    for heading in ("报考信息", "照片信息", "基本信息", "学历信息", "学位信息", "工作信息"):
        assert page.locator("h2", has_text=heading).count() == 1
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    assert "待审核" in page.inner_text("#review-notice")


def first_steps(page):
    page.goto("/exams")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/province$"))
    page.locator("#provinces tr", has_text="北京").locator("button:has-text('点击进入')").click()
    page.wait_for_url(re.compile(r"/notice$"))


def test_wizard_with_javascript(page):
    register(page, 31, "孙悟空", "13700137031")
    verify_and_add_education(page)
    first_steps(page)
    assert page.is_disabled("#agree-next")  # 完全同意 must be chosen first
    page.check("#agree")
    page.click("#agree-next")
    page.wait_for_url(re.compile(r"/announcements$"))
    page.click("button:has-text('已阅读并知晓')")
    page.wait_for_url(re.compile(r"/condition$"))
    page.check("input[value='chuji_high_school']")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/info$"))
    assert page.input_value("#school") == "首都经济贸易大学"  # pre-filled from 信息采集

    page.select_option("#city", label="西城区")
    page.wait_for_selector("#site option:has-text('已满')", state="attached")  # htmx site list
    assert page.locator("#site option:has-text('已满')").first.is_disabled()
    page.select_option("#city", label="朝阳区")
    # Selector waits only: a JavaScript predicate would be an eval, which the page's CSP forbids.
    page.wait_for_selector("#site option:has-text('已满')", state="detached")
    page.wait_for_selector("#site option:nth-child(2)", state="attached")
    page.select_option("#site", index=1)
    page.check("input[value='初级会计实务']")
    page.check("input[value='经济法基础']")
    page.wait_for_selector("#fee:has-text('¥112.00')")  # live fee total

    # A slow line (DevTools throttling of uploads) so that htmx's progress events can be seen driving the bar.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 200_000})
    page.set_input_files("#photo", image("me.jpg", images.jpeg(1800, 2400, quality=97)))  # ~1.8 MB
    page.click("button:has-text('上传照片')")
    page.wait_for_selector("#upload-progress:not([hidden])")
    assert 0 < float(page.eval_on_selector("#upload-progress", "e => e.value")) <= 100
    assert page.locator("figure.preview").count() == 0  # seen while the upload was still under way
    page.wait_for_selector("figure.preview", timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.click("button:has-text('使用此照片')")
    page.wait_for_selector("img.id-photo")
    assert page.locator("#site").input_value() != ""  # the choices survived the photo round trip
    fill_personal(page, "swk@example.com")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    assert page.locator(".guide .g-done", has_text="报名信息填写").count() == 1
    finish(page)


def test_wizard_without_javascript(browser, server_url):
    js_page = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    register(js_page, 32, "猪八戒", "13700137032")  # registration itself is covered without JS elsewhere
    verify_and_add_education(js_page)
    cookies = js_page.context.cookies()
    ctx = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False)
    ctx.add_cookies(cookies)
    page = ctx.new_page()
    first_steps(page)
    page.click("#agree-next")  # without 完全同意 the server refuses
    page.wait_for_selector("#agree-error")
    page.check("#agree")
    page.click("#agree-next")
    page.wait_for_url(re.compile(r"/announcements$"))
    page.click("button:has-text('已阅读并知晓')")
    page.check("input[value='chuji_high_school']")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/info$"))
    page.select_option("#city", label="朝阳区")
    page.click("button:has-text('更新报名点')")  # a reload brings the city's sites
    site_subjects_and_photo(page)
    fill_personal(page, "zbj@example.com")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    finish(page)
    ctx.close()
    js_page.context.close()
