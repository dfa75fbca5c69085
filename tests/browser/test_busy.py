"""系统繁忙 in a browser (issue 12): with JavaScript, a refused request leaves the page as it was, says so, and is
sent again by itself after Retry-After (static/js/app.js). A refused page load counts down and reloads itself,
and the reader can stop that (WCAG 2.2.1); without JavaScript it says when to press 立即重试
(tests/http/test_admission.py)."""
import re

from tests.browser import extra_pages
from tests.browser.flows import fill_registration


def test_a_refused_registration_is_sent_again_by_itself_and_nothing_typed_is_lost(page):
    refused = []

    def once_busy(route):
        if not refused:  # the first 注册 only: as web/errors.busy answers an htmx request
            refused.append(route.request.url)
            return route.fulfill(status=503, body="当前访问人数较多", headers={
                "Retry-After": "1", "HX-Reswap": "none", "HX-Trigger": '{"kjks:busy": {"seconds": 1}}'})
        return route.continue_()

    fill_registration(page, 51, "繁忙测", "13700137051")
    page.route("**/register", once_busy)
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_selector("#busy-notice:not([hidden])")
    assert "系统繁忙" in page.inner_text("#busy-notice") and "自动重试" in page.inner_text("#busy-notice")
    assert page.input_value("#name") == "繁忙测"  # the page stayed as it was
    page.wait_for_url(re.compile(r"welcome=1"), timeout=10_000)  # sent again, and registered
    assert refused and page.inner_text(".user .who") == "繁*测"


def test_a_refused_page_load_reloads_itself_unless_the_reader_stops_it(browser, server_url, server_env):
    page = browser.new_context(base_url=server_url, locale="zh-CN").new_page()
    extra_pages.busy(page, server_env, "/help")  # the server's own answer, once; the reload gets the real page
    assert "秒后自动重试" in page.inner_text("#busy-message") and page.is_visible("#busy-stop")
    page.wait_for_selector("#help-toc, h1:has-text('帮助中心')", timeout=15_000)  # reloaded by itself
    assert not page.locator("#busy-card").count()

    extra_pages.busy(page, server_env, "/help")
    page.click("#busy-stop")
    assert "已停止自动重试" in page.inner_text("#busy-message")
    assert page.evaluate("document.activeElement.id") == "busy-retry" and not page.is_visible("#busy-stop")
    page.wait_for_timeout(9_000)  # past Retry-After: still here, as the reader asked
    assert page.locator("#busy-card").count() == 1
    page.click("#busy-retry")
    page.wait_for_selector("h1:has-text('帮助中心')")
    page.context.close()
