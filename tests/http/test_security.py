"""CSRF on every state change, security headers, error pages without stack traces, fragments vs pages."""
import logging

from starlette.routing import Route

from models.accounts import Account, Session
from models.sandbox import SmsOutbox
from tests.factories import CAPTCHA, csrf_of
from tests.factories import PASSWORD, mainland_id, register, register_form


async def test_post_without_csrf_token_is_refused_and_changes_nothing(client):
    await csrf_of(client)
    form = register_form("", sms_code="123456")
    del form["csrf_token"]
    r = await client.post("/register", data=form)
    assert r.status_code == 403 and "CSRF" in r.text
    r = await client.post("/sms/send", data={"phone": "13800138000", "purpose": "register"})
    assert r.status_code == 403
    assert await Account.all().count() == 0 and await SmsOutbox.all().count() == 0


async def test_forged_csrf_token_is_refused(client, other_client):
    other_token = await csrf_of(other_client)  # a valid token, but for another browser
    await csrf_of(client)
    r = await client.post("/sms/send", data={"phone": "13800138000", "purpose": "register", "csrf_token": other_token})
    assert r.status_code == 403
    r = await client.post("/sms/send", data={"phone": "13800138000"}, headers={"X-CSRF-Token": "0" * 40})
    assert r.status_code == 403
    assert await SmsOutbox.all().count() == 0


async def test_csrf_token_in_the_htmx_header_is_accepted(client):
    token = await csrf_of(client)
    await client.get("/captcha.png")  # the image captcha comes before an SMS
    r = await client.post("/sms/send", data={"phone": "13800138000", "purpose": "register", "captcha": CAPTCHA},
                          headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert r.status_code == 200


async def test_logout_needs_the_token_too(client):
    await register(client)
    r = await client.post("/logout")
    assert r.status_code == 403 and await Session.all().count() == 1


async def test_security_headers_and_cookie_flags(client):
    r = await client.get("/register")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "<script>" not in r.text.replace("<script src=", "")  # no inline script anywhere


REAL_PROVIDERS = {"SMS_PROVIDER": "real", "WECHAT_PROVIDER": "real", "ALIPAY_PROVIDER": "real",
                  "PAYMENT_PROVIDER": "real", "PAYMENT_KEY": "k" * 32}


async def test_secure_cookie_in_production():
    import settings as settings_module
    s = settings_module.load({**REAL_PROVIDERS, "APP_ENV": "production", "SECRET_KEY": "x" * 40})
    assert s.cookie_secure


async def test_production_refuses_sandboxes_fixed_captcha_and_missing_secret():
    import pytest
    import settings as settings_module
    with pytest.raises(settings_module.SettingsError):
        settings_module.load({"APP_ENV": "production"})
    with pytest.raises(settings_module.SettingsError):
        settings_module.load({"APP_ENV": "production", "SECRET_KEY": "x" * 40})  # sandbox providers
    with pytest.raises(settings_module.SettingsError):
        settings_module.load({**REAL_PROVIDERS, "APP_ENV": "production", "SECRET_KEY": "x" * 40,
                              "CAPTCHA_FIXED": "AAAA"})
    for sandbox in ("SMS_PROVIDER", "WECHAT_PROVIDER", "ALIPAY_PROVIDER", "PAYMENT_PROVIDER"):
        with pytest.raises(settings_module.SettingsError):
            settings_module.load({**REAL_PROVIDERS, sandbox: "sandbox", "APP_ENV": "production", "SECRET_KEY": "x" * 40})
    with pytest.raises(settings_module.SettingsError):  # the gateway's signing key has no default in production
        settings_module.load({**REAL_PROVIDERS, "PAYMENT_KEY": "", "APP_ENV": "production", "SECRET_KEY": "x" * 40})


async def test_app_refuses_sandbox_providers_in_production(settings):
    from dataclasses import replace

    from app import create_app
    prod = replace(settings, app_env="production")
    import pytest
    with pytest.raises(RuntimeError):  # the sandbox providers themselves refuse production
        create_app(prod, manage_db=False)


async def test_not_found_page_is_chinese(client):
    r = await client.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.text


async def test_server_error_shows_a_request_id_and_no_stack_trace(app, caplog):
    import httpx

    async def boom(request):
        raise RuntimeError("secret internal detail")

    app.router.routes.insert(0, Route("/boom", boom))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://testserver") as c:
        with caplog.at_level(logging.ERROR, logger="kjks"):
            r = await c.get("/boom")
    assert r.status_code == 500 and "系统繁忙" in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    rid = r.text.split("<code>")[1].split("</code>")[0]
    assert len(rid) == 12 and any(rid in rec.getMessage() for rec in caplog.records)


async def test_htmx_request_gets_a_fragment_and_boosted_gets_the_page(client):
    frag = await client.get("/rarechars?pinyin=yan", headers={"HX-Request": "true"})
    assert frag.headers["vary"] == "HX-Request" and "<html" not in frag.text and 'id="rare-results"' in frag.text
    page = await client.get("/rarechars?pinyin=yan", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in page.text
    restore = await client.get("/rarechars?pinyin=yan", headers={"HX-Request": "true",
                                                                   "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


async def test_account_page_masks_personal_data(client):
    await register(client)
    r = await client.get("/account")
    assert mainland_id() not in r.text and "13800138000" not in r.text and "138****8000" in r.text
    assert PASSWORD not in r.text


async def test_account_page_needs_login(client):
    r = await client.get("/account")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_rare_character_search_by_strokes_and_radical(client):
    from services.reference import rarechars

    target = rarechars.search(pinyin="yan")[0]
    r = await client.get(f"/rarechars?strokes={target.strokes}&radical={target.radical}", headers={"HX-Request": "true"})
    assert f'data-char="{target.char}"' in r.text
    empty = await client.get("/rarechars?strokes=abc", headers={"HX-Request": "true"})
    assert empty.status_code == 200 and "输入拼音" in empty.text


async def test_a_head_request_is_a_get_and_never_runs_a_post_branch(client, demo):
    """Issue 11 (hostile probe): views take "not GET" for POST, and HEAD skipped the CSRF check, so HEAD with a
    body submitted or withdrew an application and saved 信息采集 without any token. A HEAD is now answered as
    its GET, without the body."""
    from models.applications import Application
    from models.profiles import Profile
    from tests.factories import at_step

    _, app_id, _ = await at_step(client)  # at 证明材料上传, the candidate logged in
    for path in (f"/apply/{app_id}/materials", f"/apply/{app_id}/confirm", f"/apply/{app_id}/restart"):
        r = await client.request("HEAD", path, content=b"commitment=1", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code in (200, 303) and r.content == b""
    assert (await Application.get(id=app_id)).status == "draft"
    r = await client.request("HEAD", "/profile/degree", content="degree=博士&degree_org=HEAD&degree_date=2016-07-01".encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.content == b"" and not await Profile.filter(degree_org="HEAD").exists()
    page = await client.request("HEAD", "/exams")
    assert page.status_code == 200 and page.content == b"" and int(page.headers["content-length"]) > 1000
