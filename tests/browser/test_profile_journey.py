"""From login through 实名认证 (both ways) to a complete 信息采集 record, in Chromium."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.factories import images
from tests.browser.flows import add_education, image, register, scan_on_phone

ROOT = Path(__file__).resolve().parents[2]



def fill_profile(page):
    page.goto("/profile/basic")
    page.set_input_files("#photo", image("me.jpg", images.photo()))
    page.select_option("#ethnicity", "汉族")
    page.select_option("#political_status", "群众")
    page.fill("#address", "北京市东城区东长安街1号")
    page.fill("#postcode", "100010")
    page.fill("#email", "candidate@example.com")
    page.click("text=保存")
    page.wait_for_url(re.compile(r"/profile\?saved=basic"))

    page.click("#tasks >> text=学历信息")
    add_education(page)
    page.click("text=返回信息采集")

    page.click("#tasks >> text=学位信息")
    page.select_option("#degree", "学士")
    page.fill("#degree_org", "首都经济贸易大学")
    page.fill("#degree_date", "2013-07-01")
    page.click("text=保存")
    page.wait_for_url(re.compile(r"saved=degree"))

    page.click("#tasks >> text=工作信息")
    page.fill("#employer", "北京某某会计师事务所")
    page.select_option("#employer_province", "11")
    page.wait_for_selector("#employer_city option[value='110105']", state="attached")  # the htmx cascade
    page.select_option("#employer_city", "110105")
    page.fill("#accounting_start", "2014-03-01")
    page.fill("#position", "审计助理")
    page.click("text=保存")
    page.wait_for_url(re.compile(r"saved=work"))

    assert page.locator("#tasks .tag.done").count() == 4
    page.click("button:has-text('确认提交')")
    page.wait_for_url(re.compile(r"confirmed=1"))
    assert page.locator("#tasks .tag.done").count() == 5


def test_alipay_verification_then_complete_record(page):
    register(page, 11, "赵钱孙", "13700137011")
    page.click("#profile-entry")  # 信息采集 without verification: the 实名认证 window comes up
    page.wait_for_selector("#realname-modal >> text=支付宝实名认证")
    page.click("#realname-modal button:has-text('支付宝实名认证')")
    page.wait_for_selector("img.qr")
    scan_on_phone(page, "确认授权", done="已确认授权")
    page.wait_for_url(re.compile(r"/profile\?verified=1"), timeout=15_000)  # polling moved on
    fill_profile(page)


def test_online_verification_reviewed_then_complete_record(page, server_env):
    register(page, 12, "周吴郑", "13700137012")
    page.goto("/realname")
    page.set_input_files("#front", image("front.jpg", images.jpeg()))
    page.set_input_files("#back", image("back.png", images.png_photo(800, 600), "image/png"))
    page.set_input_files("#handheld", image("hand.jpg", images.jpeg(900, 700)))
    page.select_option("#province", "11")
    page.wait_for_selector("#city option[value='110105']", state="attached")
    page.select_option("#city", "110105")
    page.click("text=提交审核")
    page.wait_for_selector("#realname-status >> text=待审核")

    pending = subprocess.run([sys.executable, "-m", "cli", "realname", "list"], cwd=ROOT, env=server_env,
                             check=True, capture_output=True, text=True).stdout
    request_id = [line.split("\t")[0] for line in pending.splitlines() if "周吴郑" in line][0]
    subprocess.run([sys.executable, "-m", "cli", "realname", "approve", request_id], cwd=ROOT, env=server_env,
                   check=True, capture_output=True)
    page.goto("/profile")
    page.wait_for_selector("#tasks")
    fill_profile(page)
