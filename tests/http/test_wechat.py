"""微信扫码登录 through the sandbox: QR, polling, 确认登录, first-time binding, unbinding."""
import re
from datetime import timedelta

from models.accounts import Account, WechatLogin
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
