"""忘记密码 → 找回密码: every value must match; one message; a reset ends every other session."""
import pytest

from models.accounts import Account, Session
from services.accounts import passwords
from tests.factories import csrf_of
from tests.factories import field_error, login, mainland_id, register, sms_code, three_minutes_pass

NEW = "NewPassw0rd99"


async def reset(client, **overrides):
    form = {"id_number": mainland_id(), "name": "张三丰", "password": NEW, "password2": NEW, "phone": "13800138000",
            "sms_code": ""}
    form.update(overrides)
    if not form["sms_code"]:
        await three_minutes_pass(form["phone"])
        form["sms_code"] = await sms_code(client, form["phone"], purpose="reset")
    form["csrf_token"] = await csrf_of(client, "/forgot")
    return await client.post("/forgot", data=form)


async def test_forgot_page_follows_the_manual(client):
    r = await client.get("/forgot")
    for text in ("找回密码", "证件号码", "真实姓名", "新密码", "确认新密码", "手机号", "短信验证码", "确认重置密码", "注意事项"):
        assert text in r.text


async def test_reset_changes_the_password_and_ends_every_other_session(client, other_client, app):
    await register(client)  # session 1 (client)
    assert (await login(other_client, "13800138000")).status_code == 303  # session 2
    assert await Session.all().count() == 2
    import httpx
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as third:
        r = await reset(third)
        assert r.status_code == 303 and r.headers["location"] == "/login?reset=1"
        assert await Session.all().count() == 0
        assert "张*丰" not in (await client.get("/")).text
        account = await Account.get(phone="13800138000")
        assert await passwords.verify_password(account.password_hash, NEW)
        assert (await login(third, "13800138000", NEW)).status_code == 303


@pytest.mark.parametrize("overrides", [{"name": "张三"}, {"id_number": mainland_id("32010219900307121")}])
async def test_a_mismatch_gives_one_message_that_does_not_say_which(client, other_client, overrides):
    await register(client)
    before = (await Account.get(phone="13800138000")).password_hash
    r = await reset(other_client, **overrides)
    assert r.status_code == 422 and "与注册信息不一致" in r.text
    assert (await Account.get(phone="13800138000")).password_hash == before


async def test_a_different_phone_gives_the_same_message(client, other_client):
    await register(client)
    r = await reset(other_client, phone="13900139000", sms_code="123456")
    assert r.status_code == 422 and "与注册信息不一致" in r.text


async def test_sms_for_an_unregistered_phone_answers_the_same_but_sends_nothing(client):
    from models.sandbox import SmsOutbox
    token = await csrf_of(client, "/forgot")
    r = await client.post("/sms/send", data={"phone": "13900139000", "purpose": "reset", "csrf_token": token},
                          headers={"HX-Request": "true"})
    assert r.status_code == 200 and "验证码已发送" in r.text
    assert await SmsOutbox.all().count() == 0


async def test_weak_new_password_and_mismatched_confirmation(client, other_client):
    await register(client)
    r = await reset(other_client, password="short1", password2="short2", sms_code="123456")
    assert "8至64位" in field_error(r.text, "password") and "不一致" in field_error(r.text, "password2")
