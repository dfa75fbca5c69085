"""微信扫码登录 through the sandbox: QR, polling, 确认登录, first-time binding, unbinding."""
import asyncio
import re
from datetime import timedelta

from models.accounts import Account, LoginLock, Session, WechatLogin
from services.accounts import login as ops, wechat
from services.clock import now
from services.providers.wechat import SandboxWechat
from tests.factories import CAPTCHA, csrf_of, login
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


async def bind(client, state: str, token: str, id_number: str, password: str, captcha: str = CAPTCHA):
    """绑定并登录 with the image captcha, drawn first as the page does."""
    await client.get("/captcha.png")
    return await client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": id_number,
                                                                  "password": password, "captcha": captcha})


async def at_binding(client, other_client) -> tuple[str, str]:
    """A QR code scanned and confirmed by a WeChat identity no account has: (its state, the bind page's token)."""
    state = await start(client)
    await confirm_on_phone(other_client, state)
    await client.get(f"/login/wechat/{state}/status")
    bind_page = await client.get(f"/login/wechat/{state}/bind")
    assert "验证码" in bind_page.text and "/captcha.png" in bind_page.text
    return state, re.search(r'name="csrf_token" value="(\w+)"', bind_page.text).group(1)


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
    wrong = await bind(client, state, token, mainland_id(), "Wrong12345")
    assert wrong.status_code == 422 and "账号或密码错误" in wrong.text
    r = await bind(client, state, token, mainland_id(), PASSWORD)
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
    # A poll answered after the first one logged in came with the session that login ended (the cookie is rotated
    # at login): it finds no login of its own (404, which htmx does not swap) while the browser follows the
    # first poll's redirect. One that was read before it finds the login done (303) or still waiting (200).
    assert {r.status_code for r in polls} <= {200, 303, 404} and any(r.status_code == 303 for r in polls)
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
    await client.get("/captcha.png")
    answers = await asyncio.gather(*(
        client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": number, "password": PASSWORD,
                                                         "captcha": CAPTCHA})
        for number in (mainland_id(), mainland_id("32010219900307121"))))
    assert await Account.filter(wechat_openid__isnull=False).count() == 1
    assert [r.headers.get("location") for r in answers].count("/?bound=1") == 1
    # The other one: its captcha was used up by the first, or (past the captcha) the binding refused it.
    assert all(r.status_code == 303 or "绑定失败" in r.text or "验证码已失效" in r.text for r in answers)
    # Past the captcha, the binding itself lets one account take the identity: two at once at the service level.
    row = await WechatLogin.get(state=state)
    await WechatLogin.filter(state=state).update(status="bind")
    await Account.all().update(wechat_openid=None)
    accounts = await Account.all()
    refusals = await asyncio.gather(*(wechat.bind(row, a, now()) for a in accounts))
    assert sorted(refusals, key=str) == [None, wechat.BIND_FAILED]
    assert await Account.filter(wechat_openid=row.openid).count() == 1


async def test_the_phone_cannot_confirm_or_cancel_a_qr_code_whose_time_is_over(client):
    state = await start(client)
    row = await WechatLogin.get(state=state)
    late = row.expires_at + timedelta(seconds=1)
    assert not await wechat.confirm(state, "code", late) and not await wechat.cancel(state, late)
    assert (await WechatLogin.get(state=state)).status == "pending"


# ---------------------------------------------------------------------- binding is a login (issue 11, defect 8)


async def test_binding_needs_the_captcha(client, other_client):
    await register(other_client)
    state, token = await at_binding(client, other_client)
    missing = await client.post(f"/login/wechat/{state}/bind", data={"csrf_token": token, "id_number": mainland_id(),
                                                                     "password": PASSWORD})
    assert missing.status_code == 422 and "请输入验证码" in missing.text
    wrong = await bind(client, state, token, mainland_id(), PASSWORD, captcha="WXYZ")
    assert wrong.status_code == 422 and "验证码错误" in wrong.text
    assert (await Account.get(phone="13800138000")).wechat_openid is None
    assert (await bind(client, state, token, mainland_id(), PASSWORD)).status_code == 303


async def test_wrong_passwords_at_binding_lock_the_id_number_like_logins(client, other_client):
    """Two wrong passwords and the right one no longer bind after enough failures: they count on the 证件号码
    (LoginLock), with logins by 证件号码, and on the address; the lock answers like a login's."""
    await register(other_client)
    await other_client.post("/logout", data={"csrf_token": await csrf_of(other_client, "/")})
    assert "账号或密码错误" in (await login(other_client, mainland_id(), "Wrong12345")).text  # one failed login
    state, token = await at_binding(client, other_client)
    for _ in range(ops.LOCK_AFTER - 2):
        assert "账号或密码错误" in (await bind(client, state, token, mainland_id(), "Wrong12345")).text
    assert "已锁定" in (await bind(client, state, token, mainland_id(), "Wrong12345")).text  # the fifth failure
    r = await bind(client, state, token, mainland_id(), PASSWORD)
    assert r.status_code == 422 and "已锁定" in r.text
    assert (await Account.get(phone="13800138000")).wechat_openid is None
    assert "已锁定" in (await login(other_client, mainland_id(), PASSWORD)).text  # logins by 证件号码 too
    lock = await LoginLock.get(key=ops.lock_key(Account, mainland_id()))
    assert lock.locked_until > now()

