"""The pages off the main journey that the axe and layout tests also visit: 绑定已注册账号 (a first 微信扫码),
the 生僻字 page without JavaScript, 报名已结束, 系统繁忙, the 405 page, 报名表核验 (/verify/{code}).

Each helper brings a page to one of them the way a person gets there, at the least cost: the tests reuse the
session they already have instead of walking another journey."""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import re
import secrets

from tests.factories import text_of


def wechat_bind(page) -> None:
    """Anonymous: 微信扫码登录 scanned by a WeChat user the platform has not seen, so 绑定已注册账号."""
    page.goto("/login/wechat/")
    page.wait_for_selector("#sandbox-scan", state="attached")
    status = page.get_attribute("text=我已在手机上确认，继续", "href")
    # A WeChat user of its own: the sandbox's default one is bound to an account by another test of the session
    # (tests/browser/test_accounts_journey.py), and would log in instead of being asked to bind.
    phone = page.context.new_page()
    phone.goto(page.get_attribute("#sandbox-scan", "href"))
    phone.fill("#wechat_user", f"unbound-{secrets.token_hex(4)}")
    phone.click("text=确认登录")
    phone.wait_for_selector("text=已确认登录")
    phone.close()
    # The link's own address at once, not at htmx's next poll (a click could land as the poll swapped the link
    # away, and the page stayed where it was): the status answers with the binding page.
    page.goto(status)
    page.wait_for_url(re.compile(r"/bind$"))


def rarechar_pick(browser, server_url):
    """The 生僻字 page as a browser without JavaScript reaches it: 注册's 生僻字 button POSTs the form there;
    then a search for yan. Returns the page; the caller closes its context."""
    context = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/register")
    page.fill("#name", "王")
    page.click("button[data-rare-picker]")
    page.wait_for_selector("h1:has-text('选择生僻字')")
    page.fill("input[name=pinyin]", "yan")
    page.click("#rare-pick-search")
    page.wait_for_selector("#rare-results button[value='䶮']")
    return page


def closed_province(page) -> None:
    """A verified candidate opens 广东's registration link (the demo's 广东 closed last month): 报名已结束."""
    page.goto("/exams")
    action = page.locator("#exams tr", has_text="初级").locator("form").first.get_attribute("action")
    exam_id = re.search(r"/exams/(\d+)/", action).group(1)
    page.goto(f"/exams/{exam_id}/provinces/44")
    assert "报名已结束" in page.inner_text("#window-state")


def method_not_allowed(page) -> None:
    """A form's address opened as a page (Back to an old POST, a bookmark): 405, not 页面不存在."""
    response = page.goto("/register/rarechars")
    assert response.status == 405 and "无法直接打开该地址" in page.inner_text("#main")


def busy(page, server_env: dict, path: str = "/register") -> None:
    """系统繁忙 as the server draws it for a new visitor past its admission bound: the real app renders the answer
    (in this process, its bound lowered and reached), and the browser gets it for `path` with the page's own
    headers (CSP included); its styles and scripts still come from the running server."""
    import settings as settings_module
    from app import create_app
    import httpx

    async def answer():
        app = create_app(dataclasses.replace(settings_module.load(server_env), admission_bound=1), manage_db=False)
        app.state.admission.in_flight = 1
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            return await c.get(path)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
        r = pool.submit(asyncio.run, answer()).result()
    assert r.status_code == 503 and "系统繁忙" in r.text
    headers = {k: v for k, v in r.headers.items() if k not in ("content-length", "content-encoding")}
    page.route(f"**{path}", lambda route: route.fulfill(status=503, headers=headers, body=r.content), times=1)
    page.goto(path)
    page.wait_for_selector("#busy-card")


def verify(page, app_path: str) -> str:
    """报名表打印 by the candidate, then the form's QR code opened (anyone may: /verify/{code}). Returns the code."""
    pdf = page.request.get(app_path + "/form.pdf")
    assert pdf.ok
    code = re.search(r"报名表验证码：([0-9A-Z]{16})", text_of(pdf.body())).group(1)
    page.goto(f"/verify/{code}")
    assert "真实有效" in page.inner_text("#verify-result")
    return code
