"""免费获取验证码: the image captcha first, 6 digits, hashed, one send per 3 minutes, at most 10 a day per phone and
20 an hour per address, single use, void after 5 wrong tries."""
import asyncio
from datetime import timedelta

from models.accounts import Captcha, RateWindow, SmsCode, SmsThrottle
from models.sandbox import SmsOutbox
from services.accounts import sms
from services.clock import now
from services.providers.sms import SandboxSms
from tests.factories import CAPTCHA, csrf_of


async def send(client, phone="13800138000", purpose="register", htmx=True, captcha=CAPTCHA):
    token = await csrf_of(client)
    await client.get("/captcha.png")
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post("/sms/send", data={"phone": phone, "purpose": purpose, "csrf_token": token,
                                                "captcha": captcha}, headers=headers)


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


# ---------------------------------------------------------------------- the image captcha and the limits (issue 11)


async def test_no_sms_without_the_image_captcha_and_a_wrong_answer_uses_it_up(client):
    r = await send(client, captcha="")
    assert r.status_code == 422 and "请输入验证码" in r.text
    r = await send(client, captcha="WXYZ")
    assert r.status_code == 422 and "验证码错误" in r.text and await Captcha.all().count() == 0
    assert await SmsOutbox.all().count() == 0 and not await SmsThrottle.exists()
    # The htmx answer brings a new captcha image with it, so the next try needs no reload.
    assert 'hx-swap-oob="true"' in r.text and "/captcha.png?r=" in r.text
    assert (await send(client)).status_code == 200


async def passed():
    return None


async def request(phone: str, ip: str = "203.0.113.7", purpose: str = "register"):
    return await sms.request_code(SandboxSms(), phone, purpose, secret="s", now=now(), ip=ip, captcha=passed)


async def test_an_address_sends_at_most_its_limit_even_all_at_once(client):
    answers = await asyncio.gather(*(request(f"1380013{i + 1:04d}") for i in range(sms.PER_ADDRESS + 9)))
    assert sum(a.error is None for a in answers) == sms.PER_ADDRESS
    assert {a.error for a in answers if a.error} == {sms.ADDRESS_LIMITED}
    assert await SmsOutbox.all().count() == sms.PER_ADDRESS
    assert (await request("13900139000", ip="203.0.113.8")).error is None  # another address is not limited
    # The window ends: the address may send again.
    await RateWindow.all().update(until=now() - timedelta(seconds=1))
    assert (await request("13900139001")).error is None


async def test_a_phone_gets_at_most_ten_codes_a_china_day(client):
    phone = "13800138000"
    for i in range(sms.PER_PHONE_DAY):
        assert (await request(phone, ip=f"203.0.113.{i}")).error is None
        await SmsThrottle.filter(phone=phone).update(last_sent_at=now() - sms.RESEND_AFTER)
    refused = await request(phone, ip="203.0.113.99")
    assert refused.error == sms.DAY_LIMITED and "明天" in refused.error
    assert await SmsOutbox.filter(phone=phone).count() == sms.PER_PHONE_DAY
    # The next China day counts again.
    row = await SmsThrottle.get(phone=phone)
    await SmsThrottle.filter(phone=phone).update(day=row.day - timedelta(days=1))
    assert (await request(phone, ip="203.0.113.98")).error is None


async def test_twenty_sends_at_once_to_one_phone_send_one_code(client):
    answers = await asyncio.gather(*(request("13800138000", ip=f"203.0.113.{i}") for i in range(20)))
    assert sum(a.error is None for a in answers) == 1
    assert all("秒后再重新获取" in a.error for a in answers if a.error)
    assert await SmsOutbox.all().count() == 1 and (await SmsThrottle.get(phone="13800138000")).sent_today == 1

