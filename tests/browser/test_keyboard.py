"""By keyboard only (Tab, Shift+Tab, Enter, Space, arrows): 注册 with a character from the 生僻字 picker and the
wizard from 选择考试 to 信息确认, asserting where focus is after every swap (static/js/app.js); the picker's
first click, pressed as a person does (about a tenth of a second); the reviewers' single-key shortcuts turned
off and remapped (WCAG 2.1.4)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.browser.flows import image, log_in_reviewer, new_id, outbox_code, register, verify_and_add_education
from tests.factories import images

ROOT = Path(__file__).resolve().parents[2]

DESCRIBE = """() => { const e = document.activeElement;
  if (!e || e === document.body) return "body";
  return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "")
    + " " + (e.innerText || e.value || "").trim().slice(0, 20); }"""


def focused(page) -> str:
    return page.evaluate(DESCRIBE)


def expect_focus(page, selector: str, timeout: int = 5000) -> None:
    """Focus is (or arrives within `timeout`, the swap settling) on `selector`."""
    try:
        page.wait_for_selector(f"{selector}:focus", timeout=timeout, state="attached")
    except Exception:
        raise AssertionError(f"focus is on {focused(page)}, not on {selector}") from None


def expect_page_start(page) -> None:
    """A full page load (注册, which logs in, answers HX-Redirect): focus at the start of the new page, as for any
    page (the next Tab is its first link), the page at its top."""
    page.wait_for_load_state()
    assert focused(page) == "body" and page.evaluate("() => window.scrollY") == 0, focused(page)


def expect_next_step(page) -> None:
    """A step that succeeded is answered with the next step's page, swapped in as a boosted link's page is
    (web/render.FollowedPage): focus on its heading, the page at its top."""
    expect_focus(page, "main h1")
    assert page.evaluate("() => window.scrollY") == 0


def tab_to(page, selector: str, text: str | None = None, key: str = "Tab", limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until focus is on `selector` (inside a row or label containing `text`)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("([s, t]) => { const e = document.activeElement; if (!e || !e.matches(s)) return false;"
                         " const box = e.closest('tr, label, li') || e; return !t || box.innerText.includes(t); }",
                         [selector, text]):
            return
        seen.append(focused(page))
    raise AssertionError(f"{key} never reached {selector} {text or ''}: {seen}")


def type_into(page, selector: str, value: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(value)


def press_until_value(page, key: str, selector: str, value: str, limit: int = 40) -> None:
    for _ in range(limit):
        if page.evaluate("s => { const e = document.querySelector(s); return e.options ? e.options[e.selectedIndex].text : e.value; }",
                         selector) == value:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never gave {selector} the value {value}")


# ------------------------------------------------------------------ 注册


def pick_by_keyboard(page, pinyin: str, char: str) -> None:
    """In the open panel: type the pinyin, go down into the results, arrow to `char`, Enter."""
    expect_focus(page, "#rare-dialog input[name=pinyin]")
    page.keyboard.type(pinyin)
    page.wait_for_selector(f"#rare-results button[data-char='{char}']")
    page.keyboard.press("ArrowDown")  # from the 拼音 field into the grid: its first character
    expect_focus(page, "#rare-results button[data-char][tabindex='0']")
    assert page.evaluate("() => document.activeElement === document.querySelector('#rare-results button[data-char]')")
    # One Tab stop: the grid's buttons are tabindex -1 but the current one.
    assert page.locator("#rare-results button[tabindex='0']").count() == 1
    page.keyboard.press("End")
    assert page.evaluate("() => document.activeElement === [...document.querySelectorAll('#rare-results button')].pop()")
    page.keyboard.press("Home")
    chars = page.eval_on_selector_all("#rare-results button[data-char]", "bs => bs.map(b => b.dataset.char)")
    tops = page.eval_on_selector_all("#rare-results button[data-char]", "bs => bs.map(b => b.offsetTop)")
    cols = tops.count(tops[0])
    row, col = divmod(chars.index(char), cols)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(col):
        page.keyboard.press("ArrowRight")
    expect_focus(page, f"#rare-results button[data-char='{char}']")
    # Shift+Tab leaves the grid (to 查找), Tab comes back to the same character, not the first.
    page.keyboard.press("Shift+Tab")
    expect_focus(page, "#rare-dialog .rare-search button")
    page.keyboard.press("Tab")
    expect_focus(page, f"#rare-results button[data-char='{char}']")
    page.keyboard.press("Enter")


def test_register_by_keyboard_with_a_rare_character(page):
    phone = "13700137081"
    page.goto("/register")
    tab_to(page, "#id_type")
    assert page.input_value("#id_type") == "mainland"
    type_into(page, "#id_number", new_id(81))
    type_into(page, "#name", "李")

    # 生僻字: the trigger is a button to the keyboard; Space opens the panel, Enter on a character inserts it
    # at the cursor, focus back in the name field after it.
    page.keyboard.press("Tab")
    expect_focus(page, "[data-rare-picker]")
    assert page.evaluate("() => document.activeElement.tagName === 'BUTTON' || document.activeElement.getAttribute('role') === 'button'")
    page.keyboard.press("Space")
    page.wait_for_selector("#rare-dialog[open]")
    pick_by_keyboard(page, "yan", "䶮")
    page.wait_for_selector("#rare-dialog:not([open])", state="attached")
    expect_focus(page, "#name")
    assert page.input_value("#name") == "李䶮"
    assert page.evaluate("() => document.activeElement.selectionStart") == 2  # the cursor after the character
    # Enter opens it too; Escape closes it and gives focus back to the trigger, the name unchanged.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#rare-dialog[open]")
    expect_focus(page, "#rare-dialog input[name=pinyin]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#rare-dialog:not([open])", state="attached")
    expect_focus(page, "[data-rare-picker]")
    page.keyboard.press("Shift+Tab")
    expect_focus(page, "#name")
    assert page.input_value("#name") == "李䶮"

    type_into(page, "#password", "Passw0rd2027")
    type_into(page, "#password2", "Passw0rd2027")
    type_into(page, "#phone", phone)
    type_into(page, "#captcha", "TEST")
    # Enter in a field is 注册 (the form's default button), never 免费获取验证码: no code sent, no "已发送".
    page.keyboard.press("Enter")
    expect_focus(page, ".error-summary")  # the 422 page: its summary takes focus
    assert "短信验证码" in page.inner_text(".error-summary")
    assert "验证码已发送至手机" not in page.inner_text("#register-form")
    other = page.context.new_page()
    other.goto("/dev/outbox")
    assert other.locator("#outbox tbody tr", has_text=phone).count() == 0
    other.close()
    assert page.input_value("#name") == "李䶮" and page.input_value("#phone") == phone

    # The passwords are not echoed: typed again; then 免费获取验证码 by Space, and focus goes to 短信验证码.
    type_into(page, "#password", "Passw0rd2027")
    type_into(page, "#password2", "Passw0rd2027")
    type_into(page, "#captcha", "TEST")
    tab_to(page, "#sms-send")
    page.keyboard.press("Space")
    expect_focus(page, "#sms_code")
    page.wait_for_selector("#sms-box button[disabled]")
    assert "验证码已发送至手机" in page.inner_text("#sms-box")
    page.keyboard.type(outbox_code(page, phone))
    page.keyboard.press("Enter")  # in 短信验证码, right above the send button: 注册
    page.wait_for_url(re.compile(r"/\?welcome=1$"))
    expect_page_start(page)
    assert page.inner_text(".user .who") == "李*"


def test_sms_errors_take_focus_to_the_field_to_correct(page):
    page.goto("/forgot")
    type_into(page, "#phone", "1370013708")  # a digit short
    type_into(page, "#captcha", "WRONG")
    tab_to(page, "#sms-send")
    page.keyboard.press("Enter")
    page.wait_for_selector("#phone-error")
    expect_focus(page, "#phone")  # the field its message is about, marked invalid
    assert page.get_attribute("#phone", "aria-invalid") == "true"
    page.keyboard.press("Control+a")
    page.keyboard.type("13700137082")
    tab_to(page, "#sms-send")
    page.keyboard.press("Enter")
    page.wait_for_selector("#captcha-error")
    expect_focus(page, "#captcha")
    assert "验证码已发送至手机" not in page.inner_text("#forgot-form")
    page.keyboard.press("Shift+Tab")
    expect_focus(page, "#phone")
    # Enter in a field of 找回密码 is 确认重置密码: refused for what is missing, and no code sent.
    page.keyboard.press("Enter")
    expect_focus(page, ".error-summary")
    assert "短信验证码" in page.inner_text(".error-summary")
    assert "验证码已发送至手机" not in page.inner_text("#forgot-form")
    other = page.context.new_page()
    other.goto("/dev/outbox")
    assert other.locator("#outbox tbody tr", has_text="13700137082").count() == 0
    other.close()


# ------------------------------------------------------------------ the 生僻字 panel with a mouse


def test_the_first_press_on_a_character_inserts_it(page):
    searches = []
    page.on("request", lambda r: searches.append(r.url) if "/rarechars?" in r.url else None)
    page.goto("/register")
    page.click("#name")
    page.keyboard.type("王")
    page.click("[data-rare-picker]")
    page.keyboard.type("yan")
    page.wait_for_selector("#rare-results button[data-char='䶮']")
    assert len(searches) == 1
    # Pressed as a person presses: the 拼音 field loses focus (its change) while the button is held 100 ms.
    page.hover("#rare-results button[data-char='䶮']")
    page.mouse.down()
    page.wait_for_timeout(100)
    page.mouse.up()
    page.wait_for_selector("#rare-dialog:not([open])", state="attached", timeout=2000)
    assert page.input_value("#name") == "王䶮"
    assert len(searches) == 1  # the unchanged search did not run again

    # A new list arriving while a button is pressed waits for the release: the pressed character is inserted.
    page.click("[data-rare-picker]")
    page.fill("#rare-dialog input[name=pinyin]", "")
    page.keyboard.type("yan")  # the same search as shown: not sent again
    page.keyboard.type("g")  # yang: sent after the delay, or at once by the change of the press below
    page.hover("#rare-results button[data-char='䶮']")
    page.mouse.down()
    page.wait_for_timeout(1200)
    assert any("pinyin=yang" in url for url in searches)
    page.mouse.up()
    page.wait_for_selector("#rare-dialog:not([open])", state="attached", timeout=2000)
    assert page.input_value("#name") == "王䶮䶮"
    page.wait_for_selector("#rare-results button[data-char] small:text-is('yang')", state="attached")  # then swapped in


# ------------------------------------------------------------------ the wizard


def test_wizard_by_keyboard_with_focus_after_every_swap(page):
    page.set_viewport_size({"width": 1000, "height": 700})
    register(page, 83, "周芷若", "13700137083")
    # 线上实名认证 and 信息采集 基本信息 post whole pages (files): their error summaries take focus on arrival too.
    page.goto("/realname")
    tab_to(page, "#online button.primary")
    page.keyboard.press("Enter")  # 提交审核 with nothing chosen
    page.wait_for_selector("#online .error-summary")
    expect_focus(page, ".error-summary")
    assert "证件人像面" in page.inner_text(".error-summary")
    verify_and_add_education(page)
    page.goto("/profile/basic")
    tab_to(page, "#email")
    page.keyboard.press("Control+a")
    page.keyboard.type("not-an-address")
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    expect_focus(page, ".error-summary")
    assert "电子邮箱" in page.inner_text(".error-summary")

    page.goto("/")
    tab_to(page, "#exam-entry")
    page.keyboard.press("Enter")  # a boosted link: the new page is swapped in, focus on its heading, at the top
    page.wait_for_url(re.compile(r"/exams$"))
    expect_focus(page, "main h1")
    assert page.evaluate("() => window.scrollY") == 0
    tab_to(page, "#exams button", text="初级")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/province$"))
    expect_next_step(page)
    tab_to(page, "#provinces button", text="北京")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/notice$"))
    expect_next_step(page)

    tab_to(page, "#agree")
    page.keyboard.press("Space")  # 完全同意 turns 已阅读并知晓 on
    page.keyboard.press("Tab")
    expect_focus(page, "#agree-next")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/announcements$"))
    expect_next_step(page)
    tab_to(page, "main form button", text=None)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/condition$"))
    expect_next_step(page)

    tab_to(page, "input[name=condition]")
    page.keyboard.press("Space")
    press_until_value(page, "ArrowDown", "input[name=condition]:checked", "chuji_high_school")
    tab_to(page, "main form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/info$"))
    expect_next_step(page)

    # 报名信息填写: the city's sites and the fee are swapped in; focus stays on what was used.
    tab_to(page, "#city")
    press_until_value(page, "ArrowDown", "#city", "朝阳区")
    page.wait_for_selector("#site option:nth-child(2)", state="attached")
    expect_focus(page, "#city")
    tab_to(page, "#site")
    page.keyboard.press("ArrowDown")
    tab_to(page, "input[name=subjects]")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.wait_for_selector("#fee:has-text('¥112.00')")
    expect_focus(page, "input[name=subjects][value='经济法基础']")

    # 上传照片 (the file chosen in the system's dialog): focus on the answer's next control, the page where it was.
    page.set_input_files("#photo", image("me.jpg", images.photo()))
    page.set_viewport_size({"width": 1000, "height": 450})  # the photo further down than one screen
    tab_to(page, "#photo-upload")
    before = page.evaluate("() => window.scrollY")
    assert before > 0
    page.keyboard.press("Enter")
    page.wait_for_selector("figure.preview, img.id-photo", state="attached")
    if page.locator("figure.preview").count():
        expect_focus(page, "#photo-accept")
        page.keyboard.press("Enter")
        page.wait_for_selector("img.id-photo")
    expect_focus(page, "#photo-upload")
    assert page.evaluate("() => window.scrollY") > 0  # not thrown back to the top
    assert page.evaluate("() => { const r = document.activeElement.getBoundingClientRect();"
                         " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert page.input_value("#site") != ""  # the choices survived the round trip

    for selector, value in (("#address", "北京市朝阳区建国路1号"), ("#postcode", "100020"), ("#email", "zzr@example.com")):
        type_into(page, selector, value)
    for selector, label in (("#ethnicity", "汉族"), ("#political_status", "群众"), ("#degree", "无")):
        tab_to(page, selector, key="Shift+Tab" if selector != "#degree" else "Tab")
        press_until_value(page, "ArrowDown", selector, label)
    tab_to(page, "#no_employer")
    page.keyboard.press("Space")
    tab_to(page, "#email", key="Shift+Tab")
    page.keyboard.press("Enter")  # Enter in a field: 确认无误，下一步
    page.wait_for_url(re.compile(r"/materials$"))
    expect_next_step(page)

    # 证明材料上传: a refused file keeps focus on its row's file input; an upload puts it on the file.
    page.set_input_files("#material-1 input[type=file]", image("note.txt", b"not an image", "text/plain"))
    tab_to(page, "#material-1 .inline-upload button")
    page.keyboard.press("Space")
    page.wait_for_selector("#material-1 .field-error")
    expect_focus(page, "#material-1 input[type=file]")
    page.set_input_files("#material-1 input[type=file]", image("proof.jpg", images.jpeg(800, 600)))
    page.keyboard.press("Tab")
    expect_focus(page, "#material-1 .inline-upload button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#material-1 a[href^='/files/']")
    expect_focus(page, "#material-1 a[href^='/files/']")
    tab_to(page, "main button.primary", text=None)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/confirm$"))
    expect_next_step(page)
    assert "周芷若" in page.inner_text("main")


# ------------------------------------------------------------------ the reviewers' shortcuts


async def _seed() -> int:
    """Run inside a subprocess against the browser server's database: one submitted 初级 application of 北京."""
    import db
    import settings as settings_module
    from tests.factories import make_app

    await db.init(settings_module.load().database_url)
    try:
        return (await make_app(id17="11010519900408123", phone="13700137084", name="赵敏")).id
    finally:
        await db.close()


def test_reviewer_shortcuts_can_be_turned_off_and_remapped(page, server_env):
    code = "import asyncio, tests.browser.test_keyboard as t; print(asyncio.run(t._seed()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env, check=True, capture_output=True,
                         text=True)
    row = f"#row-{out.stdout.strip().splitlines()[-1]}"
    decided = []
    page.on("request", lambda r: decided.append(r.url) if r.url.endswith("/decide") else None)
    log_in_reviewer(page)
    page.wait_for_selector(f"{row} [data-approve]")
    state = page.locator("#shortcuts-state")
    assert page.is_visible("#shortcuts") and state.inner_text().startswith("已开启（j 下一条")

    # Off: the panel's checkbox, saved; the summary line says so and a then does nothing.
    page.click("#shortcuts summary")
    page.uncheck("#shortcuts-on")
    page.click("#shortcuts-form button[type=submit]")
    assert state.inner_text() == "已关闭"
    page.click("h1")
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert decided == [] and page.locator("#queue-table tr.selected").count() == 0
    assert page.locator(f"{row} [data-approve]").count() == 1  # still waiting

    # Remapped: 通过 on y, kept for this reviewer across a reload; a no longer approves, y does.
    page.reload()
    assert page.inner_text("#shortcuts-state") == "已关闭"
    page.click("#shortcuts summary")
    page.check("#shortcuts-on")
    page.fill("#key-approve", "j")
    page.click("#shortcuts-form button[type=submit]")
    assert "用了两次" in page.inner_text("#shortcuts-error")  # j is 下一条 already
    page.fill("#key-approve", "y")
    page.click("#shortcuts-form button[type=submit]")
    assert "y 通过" in page.inner_text("#shortcuts-state")
    page.reload()
    assert "y 通过" in page.inner_text("#shortcuts-state")
    page.click("h1")
    for _ in range(30):  # j down to this application's row
        page.keyboard.press("j")
        if page.locator(f"{row}.selected").count():
            break
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    assert decided == []
    page.keyboard.press("y")
    page.wait_for_selector(f"{row}.status-approved")  # approved in place, by the new key
    assert len(decided) == 1
