"""Steps shared by the browser journeys."""
from __future__ import annotations

import re

from playwright.sync_api import Page

from services.accounts.idnumbers import check_digit
from tests.factories import images

# A boosted form's success is answered with the next page, swapped in (web/render.FollowedPage): htmx shows its
# address before the swap and gives the new content its behaviour once it settles (some 20 ms later). A person
# never acts in between; a test would (a city chosen before its site list is wired). So a test that waits for an
# address waits for the page to have settled too, as it waited for a page load before.
SETTLED = "() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping')"


def settle(page: Page) -> None:
    page.wait_for_function(SETTLED)


_wait_for_url = Page.wait_for_url


def _wait_for_url_and_settle(self: Page, url, **kwargs) -> None:
    _wait_for_url(self, url, **kwargs)
    settle(self)


Page.wait_for_url = _wait_for_url_and_settle


def new_id(seed: int) -> str:
    """A valid 证件号码 per seed. Two seeds give the same number when they are equal modulo 84 (11 and 95 did: the
    second test's 注册 was refused as a duplicate), and a number may equal a test's own fixed one (0307, 0408):
    pick a seed whose (seed % 12, seed % 28) no other test uses."""
    first17 = f"1101051990{seed % 12 + 1:02d}{(seed % 28) + 1:02d}123"[:17]
    return first17 + check_digit(first17)


def outbox_code(page, phone: str) -> str:
    other = page.context.new_page()
    other.goto("/dev/outbox")
    rows = other.locator("#outbox tbody tr", has_text=phone)  # a notification's row has no code (issue 16)
    code = rows.filter(has=other.locator("td.code:not(:empty)")).first.locator("td.code").inner_text().strip()
    other.close()
    return code


def fill_registration(page, seed: int, name: str, phone: str, password: str = "Passw0rd2027") -> str:
    """注册 filled in, the SMS code received and typed; the caller presses 注册. Returns the 证件号码."""
    id_number = new_id(seed)
    page.goto("/register")
    page.fill("#id_number", id_number)
    page.fill("#name", name)
    page.fill("#password", password)
    page.fill("#password2", password)
    page.fill("#phone", phone)
    page.fill("#captcha", "TEST")
    page.click("#sms-box button")
    page.wait_for_selector("#sms-box button[disabled]")
    page.fill("#sms_code", outbox_code(page, phone))
    return id_number


def register(page, seed: int, name: str, phone: str, password: str = "Passw0rd2027") -> str:
    id_number = fill_registration(page, seed, name, phone, password)
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_url(re.compile(r"welcome=1"))
    return id_number


def add_education(page, graduated_on: str = "2013-07-01") -> None:
    """On /profile/education: add a 大学本科 entry and wait for it in the list."""
    page.select_option("#level", "大学本科")
    page.fill("#school", "首都经济贸易大学")
    page.fill("#major", "会计学")
    page.fill("#graduated_on", graduated_on)
    page.fill("#certificate_no", "100381" + graduated_on[:4] + "05001234")
    page.click("button:has-text('添加')")
    page.wait_for_selector("#educations >> text=首都经济贸易大学")


def site_subjects_and_photo(page) -> None:
    """报名信息填写 once the city's sites are listed: the first site, both 初级 subjects, a standard photo
    (accepting the server's adjusted preview if it offers one)."""
    page.wait_for_selector("#site option:nth-child(2)", state="attached")
    page.select_option("#site", index=1)
    page.check("input[value='初级会计实务']")
    page.check("input[value='经济法基础']")
    page.set_input_files("#photo", image("me.jpg", images.photo()))
    # A stored photo answers the page again (at #photo-box): wait for it, not for the photo of the page before (an
    # earlier photo's img.id-photo matched at once, and 确认无误 then went with the file still chosen).
    with page.expect_navigation():
        page.click("button:has-text('上传照片')")
    page.wait_for_selector("figure.preview, img.id-photo")
    settle(page)
    if page.locator("figure.preview").count():
        page.click("button:has-text('使用此照片')")
        page.wait_for_selector("img.id-photo")


def image(name: str, data: bytes, mime: str = "image/jpeg") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def log_in(page, login: str, password: str = "Passw0rd2027", captcha: str = "TEST") -> None:
    """登录 through the form; the caller waits for what it expects."""
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.fill("#captcha", captcha)
    page.click("#login-form button[type=submit]")


def scan_on_phone(page, button: str, done: str | None = None) -> None:
    """The sandbox's QR code (WeChat or Alipay) opened on a second page, the "phone", and confirmed there."""
    phone = page.context.new_page()
    phone.goto(page.get_attribute("#sandbox-scan", "href"))
    phone.click(f"text={button}")
    if done:
        phone.wait_for_selector(f"text={done}")
    # The confirmation's answer loaded before the page is closed: closing a page of a context without JavaScript
    # while its form's answer was still arriving never returned (CI stopped there twice).
    phone.wait_for_load_state("load")
    phone.close()


def verify_and_add_education(page):
    page.goto("/realname")
    page.click("button:has-text('支付宝实名认证')")
    scan_on_phone(page, "确认授权")
    page.goto(re.sub(r"^https?://[^/]+", "", page.url))  # the status page moves on once authorised
    page.wait_for_url(re.compile(r"/profile"))
    page.goto("/profile/education")
    add_education(page, "2012-07-01")


def fill_personal(page, email: str):
    """What 信息采集 did not have (this candidate only entered an education)."""
    page.select_option("#ethnicity", "汉族")
    page.select_option("#political_status", "群众")
    page.fill("#address", "北京市朝阳区建国路1号")
    page.fill("#postcode", "100020")
    page.fill("#email", email)
    page.select_option("#degree", "无")
    page.check("#no_employer")


def log_in_reviewer(page, username: str = "beijing", password: str = "Shenhe2027") -> None:
    """The demo reviewer of 北京 logged in on the board (审核登录), its queue shown."""
    page.goto("/review")
    page.fill("#username", username)
    page.fill("#password", password)
    page.fill("#captcha", "TEST")
    page.click("#review-login-form button[type=submit]")
    page.wait_for_selector("#queue-table")


def to_info(page, province: str) -> None:
    """选择考试 (初级) → the province's 点击进入 → 阅读须知 (完全同意) → 考试公告 (已阅读并知晓) → 报考条件 → 报名信息填写."""
    page.goto("/exams")
    page.locator("#exams tr", has_text="初级").locator("button:has-text('进入')").click()
    page.wait_for_url(re.compile(r"/province$"))
    page.locator("#provinces tr", has_text=province).locator("button:has-text('点击进入')").click()
    page.wait_for_url(re.compile(r"/notice$"))
    page.check("#agree")
    page.click("#agree-next")
    page.wait_for_url(re.compile(r"/announcements$"))
    page.click("button:has-text('已阅读并知晓')")
    page.check("input[value='chuji_high_school']")
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/info$"))


def submit_in_beijing(page) -> int:
    """A verified candidate's 初级 application in 北京 (朝阳区), from 选择考试 to 提交: its number."""
    to_info(page, "北京")
    page.select_option("#city", label="朝阳区")
    site_subjects_and_photo(page)
    fill_personal(page, "oy@example.com")
    page.click("button:has-text('确认无误，下一步')")
    page.wait_for_url(re.compile(r"/materials$"))
    page.click("button:has-text('下一步')")
    page.wait_for_url(re.compile(r"/confirm$"))
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/result$"))
    return int(re.search(r"/apply/(\d+)/", page.url).group(1))


def pay(page, app_id: int) -> None:
    """网上缴费 of an approved application through the sandbox gateway (支付宝), to 报名成功."""
    page.goto(f"/apply/{app_id}/pay")
    page.click("#make-order button")
    page.wait_for_selector("#order-number:not(:empty)")
    page.check("input[name='platform'][value='支付宝']")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/dev/pay/"))
    page.click("button:has-text('确认支付')")
    page.wait_for_url(re.compile(r"/pay/return/"))
    assert "报名成功" in page.inner_text("#pay-success")
