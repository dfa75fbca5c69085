"""注册: every rule checked on the server, shown next to the field, with nothing stored on failure."""
from datetime import date, timedelta

import pytest

from models.accounts import Account, SmsCode
from services import clock
from services.accounts.idnumbers import check_digit
from tests.factories import csrf_of
from tests.factories import PASSWORD, field_error, mainland_id, register, register_form, sms_code


async def post_register(client, **overrides):
    token = await csrf_of(client)
    return await client.post("/register", data=register_form(token, **overrides))


async def test_register_page_has_every_field_of_the_manual(client):
    r = await client.get("/register")
    assert r.status_code == 200
    for label in ("证件类型", "证件号码", "真实姓名", "密码", "确认密码", "手机号", "短信验证码", "免费获取验证码", "生僻字",
                  "注意事项", "帮助中心", "内地居民身份证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "护照（外国）"):
        assert label in r.text, label


async def test_registration_stores_the_account_with_derived_birth_date_and_a_slow_hash(client):
    account = await register(client, id_number=mainland_id("32010219900307121"))
    assert account.id_number == mainland_id("32010219900307121")
    assert account.birth_date == date(1990, 3, 7) and account.gender == "男"
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    home = await client.get("/")
    assert "张*丰" in home.text and "张三丰" not in home.text  # masked name at the top right


@pytest.mark.parametrize("overrides,field,fragment", [
    ({"id_number": mainland_id()[:-1] + ("0" if mainland_id()[-1] != "0" else "1")}, "id_number", "校验位"),
    ({"id_number": "11010519900307123"}, "id_number", "18位"),
    ({"id_number": "1101051990030712345"}, "id_number", "18位"),
    ({"id_number": "11010518991231123" + check_digit("11010518991231123")}, "id_number", "出生日期"),
    ({"id_number": mainland_id("110105" + str(clock.today().year + 1) + "0101123")}, "id_number", "出生日期"),
    ({"id_number": "00010519900307123" + check_digit("00010519900307123")}, "id_number", "地区码"),
    ({"id_type": "hk_macao", "id_number": "12345678"}, "id_number", "H或M开头"),
    ({"name": "张" * 51}, "name", "50"),
    ({"name": "张3"}, "name", "数字"),
    ({"name": "<script>alert(1)</script>"}, "name", "符号"),
    ({"name": "张\u200b三"}, "name", "不可见"),
    ({"name": "张三😀"}, "name", "😀"),
    ({"password": "Abc1234", "password2": "Abc1234"}, "password", "8至64位"),
    ({"password": "A1" * 32 + "x", "password2": "A1" * 32 + "x"}, "password", "8至64位"),
    ({"password": "abcdefgh", "password2": "abcdefgh"}, "password", "字母和数字"),
    ({"password2": "Different123"}, "password2", "不一致"),
    ({"phone": "01088886666"}, "phone", "手机号"),
    ({"phone": "12800138000"}, "phone", "手机号"),
])
async def test_bad_input_gets_a_message_next_to_the_field_and_nothing_is_stored(client, overrides, field, fragment):
    r = await post_register(client, sms_code="123456", **overrides)
    assert r.status_code == 422
    message = field_error(r.text, field)
    assert message and fragment in message, (field, message)
    assert 'class="error-summary"' in r.text and f'href="#{field}"' in r.text
    assert await Account.all().count() == 0


async def test_markup_in_the_name_is_shown_back_as_text(client):
    r = await post_register(client, sms_code="123456", name="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


async def test_password_is_never_echoed_back(client):
    r = await post_register(client, sms_code="123456", name="张3", password="Secret123xyz", password2="Secret123xyz")
    assert r.status_code == 422 and "Secret123xyz" not in r.text


async def test_missing_field_gets_a_message(client):
    token = await csrf_of(client)
    form = register_form(token, sms_code="123456")
    del form["phone"]
    r = await client.post("/register", data=form)
    assert r.status_code == 422 and "请输入手机号" in field_error(r.text, "phone")


async def test_repeated_field_gets_a_message(client):
    token = await csrf_of(client)
    form = register_form(token, sms_code="123456")
    form["name"] = [form["name"], "李四"]
    r = await client.post("/register", data=form)
    assert r.status_code == 422 and "重复" in field_error(r.text, "name")
    assert await Account.all().count() == 0


async def test_one_account_per_id_number_with_a_help_link(client, other_client):
    await register(client)
    code = await sms_code(other_client, "13900139000")
    token = await csrf_of(other_client)
    r = await other_client.post("/register", data=register_form(token, phone="13900139000", sms_code=code))
    assert r.status_code == 422
    assert "该证件号码已注册" in field_error(r.text, "id_number") and 'href="/help#id-registered"' in r.text
    assert await Account.all().count() == 1


async def test_one_account_per_phone_with_a_help_link(client, other_client):
    await register(client)
    token = await csrf_of(other_client)
    r = await other_client.post("/register", data=register_form(token, id_number=mainland_id("32010219900307121"),
                                                                sms_code="123456"))
    assert r.status_code == 422 and "该手机号已注册" in field_error(r.text, "phone")
    assert 'href="/help#phone-registered"' in r.text


async def test_other_document_types_register_without_birth_date(client):
    account = await register(client, id_type="passport", id_number="e1234567", name="John Smith")
    assert account.id_number == "E1234567" and account.birth_date is None and account.name == "John Smith"


async def test_wrong_sms_code_refuses_registration(client):
    code = await sms_code(client, "13800138000")
    wrong = "000000" if code != "000000" else "111111"
    r = await post_register(client, sms_code=wrong)
    assert r.status_code == 422 and "还可尝试4次" in field_error(r.text, "sms_code")
    assert await Account.all().count() == 0


async def test_expired_sms_code_is_refused(client):
    code = await sms_code(client, "13800138000")
    row = await SmsCode.get(phone="13800138000")
    await SmsCode.filter(id=row.id).update(expires_at=row.created_at - timedelta(seconds=1))
    r = await post_register(client, sms_code=code)
    assert r.status_code == 422 and "过期" in field_error(r.text, "sms_code")
    assert await Account.all().count() == 0
