"""免费获取验证码: 6 digits, hashed, one send per 3 minutes, single use, void after 5 wrong tries."""
from datetime import timedelta

from models.accounts import SmsCode, SmsThrottle
from models.sandbox import SmsOutbox
from services.accounts import sms
from tests.factories import csrf_of


async def send(client, phone="13800138000", purpose="register", htmx=True):
    token = await csrf_of(client)
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post("/sms/send", data={"phone": phone, "purpose": purpose, "csrf_token": token}, headers=headers)


async def test_send_answers_the_button_fragment_with_a_countdown_and_stores_only_a_hash(client):
    r = await send(client)
    assert r.status_code == 200 and r.headers["vary"] == "HX-Request"
    assert 'id="sms-box"' in r.text and 'data-countdown="180"' in r.text and "<html" not in r.text
    out = await SmsOutbox.get(phone="13800138000")
    assert len(out.code) == 6 and out.code.isdigit()
    row = await SmsCode.get(phone="13800138000")
    assert out.code not in row.code_hash and len(row.code_hash) == 64
    assert 179 <= (row.expires_at - row.created_at).total_seconds() <= 180


async def test_without_javascript_the_send_answers_the_whole_page(client):
    r = await send(client, htmx=False)
    assert r.status_code == 200 and "<html" in r.text and "验证码已发送" in r.text


async def test_second_send_within_three_minutes_is_refused_with_the_remaining_seconds(client):
    await send(client)
    r = await send(client)
    assert r.status_code == 422 and "秒后再重新获取" in r.text
    assert await SmsOutbox.filter(phone="13800138000").count() == 1
    # Three minutes later it is allowed again.
    await SmsThrottle.filter(phone="13800138000").update(
        last_sent_at=(await SmsThrottle.get(phone="13800138000")).last_sent_at - timedelta(minutes=3))
    assert (await send(client)).status_code == 200
    assert await SmsOutbox.filter(phone="13800138000").count() == 2


async def test_landline_is_refused(client):
    r = await send(client, phone="01088886666")
    assert r.status_code == 422 and "11位中国大陆手机号" in r.text
    assert await SmsOutbox.all().count() == 0


async def test_code_is_single_use(settings, client):
    await send(client)
    code = (await SmsOutbox.get(phone="13800138000")).code
    from services.clock import now
    assert await sms.check_code("13800138000", "register", code, secret=settings.secret_key, now=now()) is None
    again = await sms.check_code("13800138000", "register", code, secret=settings.secret_key, now=now())
    assert "已使用" in again


async def test_sixth_try_is_refused_even_with_the_right_code(settings, client):
    from services.clock import now

    await send(client)
    code = (await SmsOutbox.get(phone="13800138000")).code
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert await sms.check_code("13800138000", "register", wrong, secret=settings.secret_key, now=now())
    message = await sms.check_code("13800138000", "register", code, secret=settings.secret_key, now=now())
    assert "次数过多" in message
    assert (await SmsCode.get(phone="13800138000")).attempts == 5


async def test_unreachable_number_gives_the_send_slot_back(client):
    r = await send(client, phone="13800130000")
    assert r.status_code == 422 and "发送失败" in r.text
    assert not await SmsThrottle.exists(phone="13800130000")


async def test_outbox_lists_newest_first(client):
    await send(client, phone="13800138001")
    await send(client, phone="13800138002")
    page = await client.get("/dev/outbox")
    assert page.status_code == 200
    assert page.text.index("13800138002") < page.text.index("13800138001")
