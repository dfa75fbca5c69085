"""Issue 14, "where candidates get stuck": who is registering on 报名信息填写, 阅读须知's words and its controls,
审核告知 → 网上缴费, the home page's applications and next actions, 手机号已注册 (said once, next to 手机号, which
is marked invalid), errors tied to their fields, a file chosen without pressing 上传照片 / 上传, and the QR codes'
phone ways (微信扫码登录 on the 登录 page itself)."""
import re

from models.accounts import Account
from models.applications import Application, Material
from tests.factories import (CAPTCHA, PERSONAL, candidate, at_info, at_step, city_and_site, csrf_of, field_error, images,
                             mainland_id, pdf, post, register, register_form, submitted, to_condition, upload_photo)


async def test_info_shows_who_is_registering_read_only_with_a_rare_name_in_its_font(client, demo):
    account, app_id = await at_info(client)
    await Account.filter(id=account.id).update(name="李䶮")
    page = (await client.get(f"/apply/{app_id}/info")).text
    box = page[page.index('id="registrant"'):page.index("民族")]
    assert re.search(r'<span class="rarehan" id="registrant-name">李䶮</span>', box)
    assert "内地居民身份证" in box and "110***********1234"[:3] in box
    assert account.id_number not in page  # masked, as on the account page: 110***********xxxx
    assert account.id_number[:3] + "*" * 11 + account.id_number[-4:] in box
    assert ">男<" in box and account.birth_date.isoformat() in box
    assert 'name="name"' not in page and 'name="id_number"' not in page  # read-only: nothing of it is posted


async def test_notice_text_names_the_controls_the_page_has(client, demo):
    await candidate(client)
    app_id = await to_condition(client)
    page = (await client.get(f"/apply/{app_id}/notice")).text
    assert "我已阅读并同意" not in page
    assert "选择“完全同意”后点击“已阅读并知晓”" in page
    assert "> 完全同意</label>" in page and ">已阅读并知晓</button>" in page


async def test_result_links_to_payment_once_approved(client, demo):
    app_id, _ = await submitted(client)
    page = (await client.get(f"/apply/{app_id}/result")).text
    assert f'href="/apply/{app_id}/pay"' not in page  # 待审核: nothing to pay yet
    await Application.filter(id=app_id).update(status="approved")
    page = (await client.get(f"/apply/{app_id}/result")).text
    assert re.search(rf'<a class="btn primary" href="/apply/{app_id}/pay" id="to-pay">网上缴费</a>', page)
    assert (await client.get(f"/apply/{app_id}/pay")).status_code == 200


def home_row(page: str, app_id: int) -> str:
    m = re.search(rf'<tr id="application-{app_id}">(.*?)</tr>', page, re.S)
    return m.group(1) if m else ""


async def test_home_shows_each_application_with_its_state_and_next_action(client, demo):
    assert "我的报名" not in (await client.get("/")).text  # nobody logged in
    _, app_id, _ = await at_step(client)  # 报名信息填写 done: at 证明材料上传
    row = home_row((await client.get("/")).text, app_id)
    assert "填写中" in row and f'href="/apply/{app_id}/materials">继续填写</a>' in row and "北京" in row
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    row = home_row((await client.get("/")).text, app_id)
    assert "待审核" in row and f'href="/apply/{app_id}/result">等待审核</a>' in row
    await Application.filter(id=app_id).update(status="approved")
    row = home_row((await client.get("/")).text, app_id)
    assert "审核通过" in row and f'href="/apply/{app_id}/pay">去缴费</a>' in row
    await Application.filter(id=app_id).update(status="paid")
    row = home_row((await client.get("/")).text, app_id)
    assert "报名成功" in row and f'href="/apply/{app_id}/form.pdf" hx-boost="false" download>打印报名表</a>' in row
    await Application.filter(id=app_id).update(status="withdrawn", active_key=None)
    assert home_row((await client.get("/")).text, app_id) == ""  # 重新报名: the withdrawn one is not shown


async def test_phone_taken_at_registration_says_help_centre_once_next_to_the_phone(client, other_client):
    await register(client)
    token = await csrf_of(other_client)
    r = await other_client.post("/register", data=register_form(token, id_number=mainland_id("32010219900307121"),
                                                                sms_code="123456"))
    message = field_error(r.text, "phone")
    assert message == '该手机号已注册。如需更换，请查看<a href="/help#phone-registered">帮助中心</a>'
    assert r.text.count("帮助中心 帮助中心") == 0 and re.search(r'id="phone"[^>]*aria-invalid="true"', r.text)


async def send_sms(client, phone="13800138000", htmx=True):
    token = await csrf_of(client)
    await client.get("/captcha.png")
    return await client.post("/sms/send", data={"phone": phone, "purpose": "register", "csrf_token": token,
                                                "captcha": CAPTCHA}, headers={"HX-Request": "true"} if htmx else {})


async def test_sms_for_a_registered_phone_marks_the_phone_invalid_with_its_message_beside_it(client, other_client):
    await register(client)
    for htmx in (True, False):
        r = await send_sms(other_client, htmx=htmx)
        assert r.status_code == 422
        # htmx: the 手机号 field comes out of band with the message; without JavaScript, the page has it there.
        field = re.search(r'<div class="field has-error" id="f-phone"( hx-swap-oob="true")?>(.*?)</p>', r.text, re.S)
        assert field and bool(field.group(1)) == htmx
        assert re.search(r'id="phone"[^>]*aria-invalid="true" aria-describedby="phone-error"', field.group(2))
        assert "帮助中心</a>" in field_error(r.text, "phone")
        sms_box = r.text[r.text.index('id="sms-box"'):]
        assert "该手机号已注册" not in sms_box[:sms_box.index("</div>")]  # not under the button any more
        assert r.text.count("该手机号已注册") == (1 if htmx else 2)  # (the page's error summary says it too)
        assert "帮助中心 帮助中心" not in r.text


async def test_a_refused_photo_is_described_by_its_error(client, demo):
    _, app_id = await at_info(client)
    token = await csrf_of(client, "/exams")
    r = await client.post(f"/apply/{app_id}/photo", data={"csrf_token": token},
                          files={"photo": ("me.png", images.png_photo(), "image/png")})
    assert r.status_code == 422
    assert re.search(r'<input type="file" id="photo"[^>]*aria-invalid="true" aria-describedby="photo-error photo-rules"',
                     r.text)
    assert "JPG" in field_error(r.text, "photo")


async def test_a_photo_chosen_without_pressing_upload_goes_with_the_next_button(client, demo):
    _, app_id = await at_info(client)
    city, site = await city_and_site()
    data = {"csrf_token": await csrf_of(client, "/exams"), "city": str(city.id), "site": str(site.id),
            "subjects": ["初级会计实务", "经济法基础"], **PERSONAL}
    r = await client.post(f"/apply/{app_id}/info", data=data,
                          files={"photo": ("me.jpg", images.photo(295, 413), "image/jpeg")})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/materials"
    app = await Application.get(id=app_id)
    assert app.photo and app.info_done


async def test_a_chosen_photo_the_server_adjusts_waits_for_its_preview(client, demo):
    _, app_id = await at_info(client)
    city, site = await city_and_site()
    data = {"csrf_token": await csrf_of(client, "/exams"), "city": str(city.id), "site": str(site.id),
            "subjects": ["初级会计实务", "经济法基础"], **PERSONAL}
    r = await client.post(f"/apply/{app_id}/info", data=data,
                          files={"photo": ("me.jpg", images.jpeg(1200, 1600, quality=92), "image/jpeg")})
    assert r.status_code == 422 and "使用此照片" in field_error(r.text, "photo") and 'class="preview"' in r.text
    app = await Application.get(id=app_id)
    assert app.pending_photo and not app.photo and not app.info_done


async def test_a_missing_required_material_has_its_message_on_its_row(client, demo):
    _, app_id, _ = await at_step(client, "demo-zhongji")
    r = await post(client, f"/apply/{app_id}/materials")
    assert r.status_code == 422
    for index in (1, 2):  # 学历证书, 会计工作年限证明: both 必传
        row = re.search(rf'<tr id="material-{index}" class="has-error">(.*?)</tr>', r.text, re.S).group(1)
        assert f'aria-invalid="true" aria-describedby="material-{index}-error"' in row
        assert re.search(rf'id="material-{index}-error" role="alert">此项为必传材料', row)


async def test_a_material_chosen_without_pressing_upload_goes_with_next(client, demo):
    _, app_id, _ = await at_step(client, "demo-zhongji")
    token = await csrf_of(client, "/exams")
    files = [("file:学历证书", ("a.pdf", pdf(2), "application/pdf")),
             ("file:会计工作年限证明", ("b.pdf", pdf(1), "application/pdf"))]
    r = await client.post(f"/apply/{app_id}/materials", data={"csrf_token": token}, files=files)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/confirm"
    stored = {m.item: m.pages for m in await Material.filter(application_id=app_id)}
    assert stored == {"学历证书": 2, "会计工作年限证明": 1}


async def test_one_rows_upload_also_takes_another_rows_chosen_file(client, demo):
    _, app_id, _ = await at_step(client, "demo-zhongji")
    page = (await client.get(f"/apply/{app_id}/materials")).text
    assert 'name="file:学历证书" form="materials-form"' in page and 'form="materials-form" formaction=' in page
    token = await csrf_of(client, "/exams")
    files = [("file:学历证书", ("a.pdf", pdf(1), "application/pdf")),
             ("file:会计工作年限证明", ("b.pdf", pdf(3), "application/pdf"))]
    r = await client.post(f"/apply/{app_id}/materials/upload", data={"csrf_token": token, "item": "学历证书"},
                          files=files)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/materials"
    assert await Material.filter(application_id=app_id).count() == 2
    # 上传 with nothing chosen for its row: its message on the row, and nothing else changes
    r = await client.post(f"/apply/{app_id}/materials/upload", data={"csrf_token": token, "item": "学历证书"},
                          files=[("file:学历证书", ("", b"", "application/octet-stream"))])
    assert r.status_code == 422 and re.search(r'id="material-1-error" role="alert">请选择文件', r.text)


async def test_wechat_qr_is_on_the_login_page_and_phones_get_a_link_instead(client):
    login = (await client.get("/login")).text
    assert 'id="wechat-panel"' in login and 'hx-get="/login/wechat/" hx-trigger="intersect once"' in login
    assert 'href="/login/wechat/" id="wechat-page"' in login  # without JavaScript, and on a phone
    panel = await client.get("/login/wechat/", headers={"HX-Request": "true"})
    assert "<html" not in panel.text and 'class="qr"' in panel.text and 'id="wechat-status"' in panel.text
    link = re.search(r'<a class="btn primary" href="([^"]+)"[^>]*id="wechat-on-phone">打开微信确认登录</a>', panel.text)
    assert link and "/dev/wechat/authorize?state=" in link.group(1)
    page = (await client.get("/login/wechat/")).text
    assert "<html" in page and 'class="phone-way"' in page and 'class="qr-way"' in page


async def test_alipay_qr_has_a_phone_way_to_the_same_confirmation(client, demo):
    await register(client)
    r = await client.post("/realname/alipay", data={"csrf_token": await csrf_of(client, "/realname")})
    page = (await client.get(r.headers["location"])).text
    qr_way = page[page.index('class="qr-way"'):page.index('class="phone-way"')]
    assert 'class="qr"' in qr_way
    link = re.search(r'href="([^"]+)"[^>]*id="alipay-on-phone">打开支付宝确认授权</a>', page)
    scan = re.search(r'href="([^"]+)"[^>]*id="sandbox-scan"', page)
    assert link and scan and link.group(1) == scan.group(1)  # the confirmation the QR code leads to
