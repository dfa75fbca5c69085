"""微信扫码登录 through the sandbox: QR, polling, 确认登录, first-time binding, unbinding."""
import asyncio
import re
from datetime import timedelta

from models.accounts import Account, Session, WechatLogin
from services.accounts import wechat
from services.providers.wechat import SandboxWechat
from tests.factories import csrf_of
from tests.factories import PASSWORD, mainland_id, register


async def start(client) -> str:
    r = await client.get("/login/wechat/")
    assert r.status_code == 200 and 'src="data:image/svg+xml' in r.text
    return re.search(r"/login/wechat/([\w-]+)/status", r.text).group(1)


async def confirm_on_phone(phone_client, state, user="alice", action="confirm"):
    page = await phone_client.get(f"/dev/wechat/authorize?state={state}")
    assert "确认登录" in page.text
    token = re.search(r'name="csrf_token" value="(\w+)"', page.text).group(1)
    return await phone_client.post(f"/dev/wechat/authorize?state={state}",
                                   data={"csrf_token": token, "wechat_user": user, "action": action})


async def test_first_scan_binds_then_next_scan_logs_in(client, other_client):
    await register(client)
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})

    state = await start(client)
    poll = await client.get(f"/login/wechat/{state}/status", headers={"HX-Request": "true"})
    assert "等待扫码确认" in poll.text and 'hx-trigger="every 2s"' in poll.text
    await confirm_on_phone(other_client, state)
    poll = await client.get(f"/login/wechat/{state}/status", headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll.headers["hx-redirect"] == f"/login/wechat/{state}/bind"

    bind_page = await client.get(f"/login/wechat/{state}/bind")
    token = re.search(r'name="csrf_token" value="(\w+)"', bind_page.text).group(1)
    wrong = await client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": mainland_id(),
                                                                   "password": "Wrong12345"})
    assert wrong.status_code == 422 and "账号或密码错误" in wrong.text
    r = await client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": mainland_id(),
                                                               "password": PASSWORD})
    assert r.status_code == 303
    assert (await Account.get(phone="13800138000")).wechat_openid
    assert "张*丰" in (await client.get("/")).text

    # Log out and scan again as the same WeChat user: straight in.
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
    state = await start(client)
    await confirm_on_phone(other_client, state)
    r = await client.get(f"/login/wechat/{state}/status")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "张*丰" in (await client.get("/")).text

    # Unbind from the account page; the next scan asks for binding again.
    r = await client.post("/account/wechat/unbind", data={"csrf_token": await csrf_of(client, "/account")})
    assert r.status_code == 303 and (await Account.get(phone="13800138000")).wechat_openid is None


async def test_another_browser_cannot_poll_my_qr_code(client, other_client):
    state = await start(client)
    assert (await other_client.get(f"/login/wechat/{state}/status")).status_code == 404


async def test_expired_qr_code_says_so(client):
    state = await start(client)
    row = await WechatLogin.get(state=state)
    await WechatLogin.filter(state=state).update(expires_at=row.created_at - timedelta(seconds=1))
    r = await client.get(f"/login/wechat/{state}/status", headers={"HX-Request": "true"})
    assert "二维码已过期" in r.text


async def test_cancel_on_the_phone(client, other_client):
    state = await start(client)
    await confirm_on_phone(other_client, state, action="cancel")
    r = await client.get(f"/login/wechat/{state}/status", headers={"HX-Request": "true"})
    assert "取消登录" in r.text


async def test_two_polls_at_once_log_in_once(client, other_client):
    await register(client)
    await Account.filter(phone="13800138000").update(wechat_openid=SandboxWechat.openid_of("alice"))
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
    state = await start(client)
    await confirm_on_phone(other_client, state)
    polls = await asyncio.gather(*(client.get(f"/login/wechat/{state}/status") for _ in range(3)))
    assert await Session.all().count() == 1
    assert {r.status_code for r in polls} <= {200, 303} and any(r.status_code == 303 for r in polls)
    assert all(r.headers["location"] == "/" for r in polls if r.status_code == 303)
    assert all("二维码已过期" not in r.text for r in polls)


async def test_one_scan_binds_one_account_even_when_two_bind_at_once(client, other_client):
    await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    await register(client)
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
    state = await start(client)
    await confirm_on_phone(other_client, state)
    await client.get(f"/login/wechat/{state}/status")
    token = re.search(r'name="csrf_token" value="(\w+)"', (await client.get(f"/login/wechat/{state}/bind")).text).group(1)
    answers = await asyncio.gather(*(
        client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": number, "password": PASSWORD})
        for number in (mainland_id(), mainland_id("32010219900307121"))))
    assert await Account.filter(wechat_openid__isnull=False).count() == 1
    assert [r.headers.get("location") for r in answers].count("/?bound=1") == 1
    assert all(r.status_code == 303 or "绑定失败" in r.text for r in answers)


async def test_the_phone_cannot_confirm_or_cancel_a_qr_code_whose_time_is_over(client):
    state = await start(client)
    row = await WechatLogin.get(state=state)
    late = row.expires_at + timedelta(seconds=1)
    assert not await wechat.confirm(state, "code", late) and not await wechat.cancel(state, late)
    assert (await WechatLogin.get(state=state)).status == "pending"
