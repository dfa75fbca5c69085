"""Steps shared by the browser journeys."""
from __future__ import annotations

import re

from services.idnumbers import check_digit


def new_id(seed: int) -> str:
    first17 = f"1101051990{seed % 12 + 1:02d}{(seed % 28) + 1:02d}123"[:17]
    return first17 + check_digit(first17)


def outbox_code(page, phone: str) -> str:
    other = page.context.new_page()
    other.goto("/dev/outbox")
    code = other.locator("#outbox tbody tr", has_text=phone).first.locator("td.code").inner_text().strip()
    other.close()
    return code


def register(page, seed: int, name: str, phone: str, password: str = "Passw0rd2027") -> str:
    id_number = new_id(seed)
    page.goto("/register")
    page.fill("#id_number", id_number)
    page.fill("#name", name)
    page.fill("#password", password)
    page.fill("#password2", password)
    page.fill("#phone", phone)
    page.click("#sms-box button")
    page.wait_for_selector("#sms-box button[disabled]")
    page.fill("#sms_code", outbox_code(page, phone))
    page.click("#register-form button[type=submit] >> text=注册")
    page.wait_for_url(re.compile(r"welcome=1"))
    return id_number
