"""Browsers without JavaScript (issue 14): the form round trips keep what was typed without a GET carrying it
(生僻字, 免费获取验证码, 看不清, 更新报名点 / 计算费用), POSTs answer 303 (PRG), a POST-only address opened as a page
is its own Chinese 405 page (not 页面不存在), and the photo's addresses opened again show the page."""
import re

from models.accounts import Account
from models.applications import Application
from models.sandbox import SmsOutbox
from tests.factories import (
    CAPTCHA,
    PASSWORD,
    PERSONAL,
    at_info,
    city_and_site,
    csrf_of,
    field_error,
    images,
    mainland_id,
    upload_photo,
)

ID = mainland_id("11010519880512123")


def value_of(html: str, field: str) -> str | None:
    m = re.search(rf'<input id="{field}" name="{field}"[^>]*?value="([^"]*)"', html)
    return m.group(1) if m else None


def hidden(html: str, name: str) -> str:
    m = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else ""


async def test_a_post_only_address_opened_as_a_page_is_its_own_chinese_405(client):
    for path in ("/logout", "/sms/send", "/register/rarechars", "/apply/1/pay/order"):
        r = await client.get(path)
        assert r.status_code == 405, path
        assert "无法直接打开该地址" in r.text and "该地址用于提交表单" in r.text and "页面不存在" not in r.text
        assert "POST" in r.headers.get("allow", "")
    assert "页面不存在" in (await client.get("/no/such/page")).text  # the 404 stays the 404


async def test_the_rare_character_picker_without_javascript_keeps_the_form_and_fills_the_name(client):
    token = await csrf_of(client, "/register")
    typed = {"csrf_token": token, "id_type": "mainland", "id_number": ID, "name": "王", "password": PASSWORD,
             "password2": PASSWORD, "phone": "13700137777", "sms_code": ""}
    # 生僻字: the 注册 form POSTed to the picker (its button), then 查找 there (a POST of the same form).
    r = await client.post("/register/rarechars", data={**typed, "purpose": "register"})
    assert r.status_code == 200 and "选择生僻字" in r.text and PASSWORD not in r.text
    carried = {"csrf_token": token, "purpose": "register", "id_type": "mainland", "id_number": ID, "name": "王",
               "phone": "13700137777", "sms_code": "", "kept_passwords": hidden(r.text, "kept_passwords")}
    assert carried["kept_passwords"] and hidden(r.text, "id_number") == ID
    r = await client.post("/register/rarechars", data={**carried, "pinyin": "yan"})
    assert 'name="picked" value="䶮"' in r.text and 'formaction="/register"' in r.text
    # The character's button posts it all back to 注册: the name filled in, everything else as typed.
    r = await client.post("/register", data={**carried, "picked": "䶮"})
    assert r.status_code == 200 and value_of(r.text, "name") == "王䶮"
    assert value_of(r.text, "id_number") == ID and value_of(r.text, "phone") == "13700137777"
    assert PASSWORD not in r.text and 'id="passwords-kept"' in r.text
    assert not await Account.exists(phone="13700137777")  # a round trip registers nothing
    kept = hidden(r.text, "kept_passwords")
    # The SMS step without JavaScript (the whole form to /sms/send): everything comes back, passwords sealed.
    await client.get("/captcha.png")
    r = await client.post("/sms/send", data={"csrf_token": token, "purpose": "register", "id_type": "mainland",
                                             "id_number": ID, "name": "王䶮", "phone": "13700137777",
                                             "captcha": CAPTCHA, "sms_code": "", "kept_passwords": kept})
    assert r.status_code == 200 and "验证码已发送至手机" in r.text and value_of(r.text, "name") == "王䶮"
    code = (await SmsOutbox.filter(phone="13700137777").order_by("-id").first()).code
    # 注册 with both password fields empty: the sealed ones are used.
    r = await client.post("/register", data={"csrf_token": token, "id_type": "mainland", "id_number": ID,
                                             "name": "王䶮", "password": "", "password2": "", "phone": "13700137777",
                                             "sms_code": code, "kept_passwords": hidden(r.text, "kept_passwords")})
    assert r.status_code == 303, field_error(r.text, "password")
    assert (await Account.get(phone="13700137777")).name == "王䶮"


async def test_a_sealed_password_works_only_for_its_session_and_purpose(client, other_client):
    token = await csrf_of(client, "/register")
    r = await client.post("/register/rarechars", data={"csrf_token": token, "purpose": "register", "name": "李",
                                                       "password": PASSWORD, "password2": PASSWORD})
    kept = hidden(r.text, "kept_passwords")
    other = await csrf_of(other_client, "/register")
    r = await other_client.post("/register", data={"csrf_token": other, "id_type": "mainland", "id_number": ID,
                                                   "name": "李", "phone": "13700137778", "sms_code": "123456",
                                                   "kept_passwords": kept})
    assert r.status_code == 422 and field_error(r.text, "password") == "请输入密码"
    r = await client.post("/forgot", data={"csrf_token": token, "id_number": ID, "name": "李", "phone": "13700137778",
                                           "sms_code": "123456", "kept_passwords": kept})
    assert r.status_code == 422 and field_error(r.text, "password")  # sealed for 注册, not 找回密码


async def test_new_captcha_without_javascript_keeps_what_was_typed_on_login(client):
    token = await csrf_of(client, "/login")
    r = await client.post("/login", data={"csrf_token": token, "login": "13700137779", "password": PASSWORD,
                                          "captcha": "", "next": "/", "new_captcha": "1"})
    assert r.status_code == 200 and value_of(r.text, "login") == "13700137779" and PASSWORD not in r.text
    assert 'name="new_captcha"' in r.text and 'id="password-kept"' in r.text


async def test_photo_upload_and_refresh_answer_303_back_to_the_page_with_what_was_typed(client, demo):
    account, app_id = await at_info(client)
    city, site = await city_and_site()
    token = await csrf_of(client, "/exams")
    typed = {**PERSONAL, "address": "北京市朝阳区光华路8号", "city": str(city.id), "site": str(site.id),
             "subjects": ["初级会计实务", "经济法基础"]}
    r = await client.post(f"/apply/{app_id}/photo", data={"csrf_token": token, **typed},
                          files={"photo": ("me.jpg", images.jpeg(1200, 1600, quality=92), "image/jpeg")})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info?adjusted=both#photo-box"
    assert "光华路" not in r.headers["location"]
    page = await client.get(r.headers["location"].split("#")[0])
    assert "已自动裁剪并缩放为295×413像素" in page.text and value_of(page.text, "address") == "北京市朝阳区光华路8号"
    assert "¥112.00" in page.text  # the fee of the subjects ticked before the upload
    app = await Application.get(id=app_id)
    assert app.site_id == site.id and app.pending_photo and not app.info_done
    r = await client.post(f"/apply/{app_id}/photo/accept", data={"csrf_token": token, **typed})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info#photo-box"
    # Back / reload onto the upload's own addresses: the page, never 页面不存在.
    for path in (f"/apply/{app_id}/photo", f"/apply/{app_id}/photo/accept"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info"
    # 更新报名点 / 计算费用 without JavaScript: a POST (never a GET with the form), then the page again.
    r = await client.post(f"/apply/{app_id}/info", data={"csrf_token": token, **typed, "subjects": ["经济法基础"],
                                                        "email": "new@example.com", "refresh": "fee"})
    assert r.status_code == 303 and "example" not in r.headers["location"]
    page = await client.get(r.headers["location"])
    assert "¥56.00" in page.text and value_of(page.text, "email") == "new@example.com"
    # A photo refused: the page again with the message next to the field, and what was typed.
    r = await upload_photo(client, app_id, images.png_photo())
    assert r.status_code == 422 and "JPG" in field_error(r.text, "photo")


async def test_the_info_page_reads_nothing_typed_from_its_address(client, demo):
    account, app_id = await at_info(client)
    r = await client.get(f"/apply/{app_id}/info?address=从网址来的地址&email=x@example.com")
    assert "从网址来的地址" not in r.text and "x@example.com" not in r.text
    html = r.text
    for form in re.findall(r"<form[^>]*>", html):
        assert 'method="get"' not in form, form
    assert 'formmethod="get"' not in html


async def test_a_city_from_every_provinces_list_names_its_province(client, demo):
    """Without JavaScript the city list holds every province's cities: the chosen one names its province."""
    account, app_id = await at_info(client)
    r = await client.get("/profile/work")
    assert '<optgroup label="浙江">' in r.text and "更新城市列表" not in r.text
    r = await client.post("/profile/work", data={"csrf_token": await csrf_of(client, "/profile/work"),
                                                 "employer": "杭州某会计师事务所", "employer_province": "",
                                                 "employer_city": "330100", "accounting_start": "2015-03-01",
                                                 "position": "会计"})
    assert r.status_code == 303, r.text
    from models.profiles import Profile
    profile = await Profile.get(account_id=account.id)
    assert (profile.employer_province, profile.employer_city) == ("33", "330100")
