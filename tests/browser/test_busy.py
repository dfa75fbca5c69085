"""系统繁忙 in a browser (issue 12): with JavaScript, a refused request leaves the page as it was, says so, and is
sent again by itself after Retry-After (static/js/app.js). Without JavaScript the refused page reloads itself
(a meta refresh, tests/http/test_admission.py)."""
import re

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
