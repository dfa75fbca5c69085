"""Hostile input where requests come in (issue 11): typed path parameters and typed, bounded form and query
values (never a 500), the framework's refusals as Chinese pages, the size limit before a body is read, `next`
only to this site, and only 通过 / 不通过 decide."""
import re

import httpx
import pytest

from models.applications import Application
from models.payments import PaymentNotification
from models.profiles import RealnameRequest
from models.reviews import ReviewLog
from tests.factories import (
    CAPTCHA,
    PASSWORD,
    at_info,
    candidate,
    csrf_of,
    field_error,
    login,
    make_app,
    pending_realname,
    post,
    register,
    reviewer,
    token,
)

NOT_FOUND = "页面不存在"
INVALID = "包含无效字符，请删除后重新填写"
BEYOND_THE_COLUMN = ["2147483648", "9223372036854775808", "9" * 20]  # 2^31 (PostgreSQL), 2^63 (SQLite), more


def chinese_page(r, status: int, text: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html") and "<html" in r.text and text in r.text, r.text[:500]
    shown = re.sub(r"<[^>]+>", " ", r.text.split("<main")[1].split(">", 1)[1].split("</main>")[0])
    assert not re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", shown), shown  # no English words


# ------------------------------------------------------------------ typed path parameters


async def test_an_id_beyond_the_id_columns_is_the_404_page_on_every_kind_of_route(client, other_client, demo):
    _, app_id = await at_info(client)
    await reviewer(other_client)
    for big in BEYOND_THE_COLUMN:
        chinese_page(await client.get(f"/apply/{big}/info"), 404, NOT_FOUND)
        chinese_page(await client.get(f"/apply/{big}/form.pdf"), 404, NOT_FOUND)
        chinese_page(await post(client, f"/exams/{big}/enter"), 404, NOT_FOUND)
        chinese_page(await post(client, f"/apply/{app_id}/materials/{big}/delete"), 404, NOT_FOUND)
        chinese_page(await post(client, f"/profile/education/{big}/delete"), 404, NOT_FOUND)
        chinese_page(await other_client.get(f"/review/applications/{big}"), 404, NOT_FOUND)
        r = await other_client.post(f"/review/realname/{big}/decide", data={"csrf_token": await token(other_client),
                                                                           "action": "approve"})
        chinese_page(r, 404, NOT_FOUND)
    assert (await client.get(f"/apply/{app_id}/info")).status_code == 200  # a real id still works


@pytest.mark.parametrize("path", [
    "/login/wechat/" + "x" * 70 + "/status",  # not a state the server issues (and longer than its column)
    "/login/wechat/" + "x" * 70 + "/bind",
    "/realname/alipay/" + "x" * 70,
    "/pay/return/" + "x" * 70,  # not an order number
    "/pay/return/20270101-11-ABCDEFG%00",
    "/files/realname/" + "0" * 32 + ".jpg%00",  # NUL: PostgreSQL refuses it in a lookup
    "/files/" + "%E4%B8%AD" * 300,
    "/exams/1/provinces/1234567890",  # a province code is 2 digits
    "/dev/pay/" + "x" * 70,  # not the sandbox's trade number
])
async def test_a_token_code_or_name_of_the_wrong_shape_is_the_404_page(client, path):
    await candidate(client)
    chinese_page(await client.get(path), 404, NOT_FOUND)


# ------------------------------------------------------------------ typed query values and form values


@pytest.mark.parametrize("query", ["city=" + "1" * 20, "city=11%0001", "q=%00", "q=" + "张" * 100,
                                   "site=" + "9" * 20, "page=" + "9" * 30, "status=%00", "day=2027-13-45",
                                   "level=%00", "done=1&skipped=" + "9" * 20])
async def test_the_review_boards_filters_are_typed(client, demo, query):
    await make_app(name="王小明")
    await reviewer(client)
    r = await client.get(f"/review?{query}")
    assert r.status_code == 200 and "审核" in r.text
    assert (await client.get(f"/review/export.csv?{query}")).status_code == 200


async def test_the_wizards_city_and_site_are_ids_in_range(client, demo):
    _, app_id = await at_info(client)
    big = "9" * 20
    assert (await client.get(f"/apply/{app_id}/info?city={big}&site={big}")).status_code == 200
    assert (await client.get(f"/apply/{app_id}/sites?city={big}")).status_code == 200
    r = await post(client, f"/apply/{app_id}/info", {"city": big, "site": big, "subjects": ["初级会计实务"]})
    assert r.status_code == 422 and "报名点" in r.text
    assert (await Application.get(id=app_id)).site_id is None


async def test_a_login_name_longer_than_any_column_answers_like_an_unknown_one(client, other_client, demo):
    unknown = await login(client, "110105199003079999")
    too_long = await login(other_client, "1" * 33)
    assert unknown.status_code == too_long.status_code == 422
    assert "账号或密码错误" in unknown.text and "账号或密码错误" in too_long.text
    assert field_error(too_long.text, "login") is None  # nothing says it was too long


async def test_a_reviewer_name_longer_than_its_column_answers_like_an_unknown_one(client, demo):
    await client.get("/captcha.png")
    r = await client.post("/review/login", data={"csrf_token": await token(client), "username": "r" * 65,
                                                 "password": PASSWORD, "captcha": CAPTCHA})
    assert r.status_code == 422 and "账号或密码错误" in r.text


async def test_a_control_character_is_refused_next_to_its_field(client):
    await client.get("/captcha.png")
    r = await client.post("/login", data={"csrf_token": await csrf_of(client, "/login"), "login": "1101\x0005",
                                          "password": PASSWORD, "captcha": CAPTCHA})
    assert r.status_code == 422 and field_error(r.text, "login") == INVALID


async def test_a_reset_with_an_id_number_longer_than_its_column_says_so(client):
    r = await client.post("/forgot", data={"csrf_token": await csrf_of(client, "/forgot"), "id_number": "1" * 40,
                                           "name": "张三丰", "phone": "13800138000", "sms_code": "123456",
                                           "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 422 and field_error(r.text, "id_number") == "内容过长，不能超过32个字"


async def test_a_realname_rejection_reason_longer_than_its_column_is_refused_in_chinese(client, demo):
    row = await pending_realname()
    await reviewer(client)
    r = await client.post(f"/review/realname/{row.id}/decide", data={"csrf_token": await token(client),
                                                                      "action": "reject", "reason": "很" * 201})
    assert r.status_code == 422 and field_error(r.text, f"reason-{row.id}") == "内容过长，不能超过200个字"
    assert (await RealnameRequest.get(id=row.id)).status == "pending"


NOTIFICATION = {"merchant_id": "m", "out_trade_no": "20270101-11-ABCDEFGH", "trade_no": "T1", "amount_fen": "5600",
                "status": "paid", "paid_at": "2027-01-01T10:00:00+08:00", "nonce": "abcd"}


@pytest.mark.parametrize("fields", [{**NOTIFICATION, "sign": "签名"}, {**NOTIFICATION, "sign": "a\x00b"},
                                    {**NOTIFICATION, "sign": "a" * 64, "memo": "中文"}])
async def test_a_notification_with_anything_but_printable_ascii_fails(client, fields):
    r = await client.post("/pay/notify", data=fields)
    assert r.status_code == 200 and r.text == "fail"
    assert not await PaymentNotification.exists()


async def test_a_notification_that_is_not_utf8_fails(client):
    r = await client.post("/pay/notify", content=b"sign=\xff\xfe&out_trade_no=1",
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.text == "fail"


# ------------------------------------------------------------------ the framework's refusals, in Chinese


async def test_too_many_fields_is_a_chinese_page_and_an_htmx_fragment(client):
    token_ = await csrf_of(client, "/login")
    data = {f"f{i}": "x" for i in range(300)}
    r = await client.post("/login", data=data, headers={"X-CSRF-Token": token_})
    chinese_page(r, 400, "提交的项目过多")
    r = await client.post("/login", data=data, headers={"X-CSRF-Token": token_, "HX-Request": "true"})
    assert r.status_code == 400 and "提交的项目过多" in r.text and "<html" not in r.text
    assert r.headers["hx-retarget"] == "#main"


async def test_malformed_multipart_is_a_chinese_page(client):
    await register(client)
    r = await client.post("/realname/online", content=b"--x\r\nnonsense", headers={
        "X-CSRF-Token": await csrf_of(client, "/realname"), "content-type": "multipart/form-data"})
    chinese_page(r, 400, "提交的内容格式有误")


async def test_a_field_beyond_the_size_of_an_ordinary_form_is_a_chinese_413_page(client):
    r = await client.post("/login", data={"login": "x" * 2_000_000},
                          headers={"X-CSRF-Token": await csrf_of(client, "/login")})
    chinese_page(r, 413, "提交的内容超过了允许的大小")


async def test_the_csrf_refusal_and_a_wrong_method_are_chinese_pages(client):
    await csrf_of(client)
    r = await client.post("/sms/send", data={"phone": "13800138000"})
    chinese_page(r, 403, "CSRF")
    chinese_page(await client.get("/logout"), 405, "该地址用于提交表单")
    r = await client.get("/no/such/page", headers={"HX-Request": "true"})
    assert r.status_code == 404 and NOT_FOUND in r.text and "<html" not in r.text


# ------------------------------------------------------------------ the size limit, before the body is read


async def raw_post(app, client, path: str, *, declared: int | None, total: int, csrf: bool = True,
                   page: str = "/login"):
    """POST straight to the ASGI app, the body in 64 KB chunks (at most `total` bytes), with the CSRF token in the
    header: (status, body text, bytes the app read)."""
    token_ = await csrf_of(client, page)
    headers = [(b"host", b"testserver"), (b"cookie", f"sid={client.cookies['sid']}".encode()),
               (b"content-type", b"application/x-www-form-urlencoded")]
    if csrf:
        headers.append((b"x-csrf-token", token_.encode()))
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "app": app}
    read, chunk = 0, b"a" * 65536
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if read >= total:
            return {"type": "http.disconnect"}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": read < total}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body.decode(), read


async def test_a_declared_body_above_the_routes_limit_is_refused_unread(app, client):
    for csrf in (True, False):  # the token in the header, or expected in the body: refused before either
        status, text, read = await raw_post(app, client, "/login", declared=1024 ** 3, total=20 * 1024 * 1024,
                                            csrf=csrf)
        assert status == 413 and "提交的内容超过了允许的大小" in text and read == 0


async def test_a_body_without_a_length_is_cut_off_at_the_routes_limit(app, client):
    status, text, read = await raw_post(app, client, "/login", declared=None, total=20 * 1024 * 1024)
    assert status == 413 and "提交的内容超过了允许的大小" in text
    assert read <= 2 * 65536  # the ordinary form's limit (64 KB), and not a chunk more


async def test_an_upload_route_takes_more_than_an_ordinary_form(client):
    await register(client)
    big = ("front.jpg", b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024), "image/jpeg")
    headers = {"X-CSRF-Token": await csrf_of(client, "/realname")}
    r = await client.post("/realname/online", data={"province": "11", "city": "110105"}, files={"front": big},
                          headers=headers)
    assert r.status_code == 422 and "证件" in r.text  # read, and answered by the 实名认证 rules
    chinese_page(await client.post("/sms/send", files={"front": big}, headers=headers), 413, "提交的内容超过了允许的大小")


# ------------------------------------------------------------------ `next` only to this site


@pytest.mark.parametrize("target", ["/\\127.0.0.1:18899/x", "/\t/127.0.0.1", "//127.0.0.1/x", "https://127.0.0.1/",
                                    "/\n/x", "/\u3000/x"])
async def test_after_login_next_goes_only_to_a_path_of_this_site(client, other_client, target):
    await register(client, phone="13800138000")
    page = await other_client.get("/login", params={"next": target})
    assert 'name="next" value="/"' in page.text
    await other_client.get("/captcha.png")
    r = await other_client.post("/login", headers={"HX-Request": "true"}, data={
        "csrf_token": await csrf_of(other_client, "/login"), "login": "13800138000", "password": PASSWORD,
        "captcha": CAPTCHA, "next": target})
    assert r.status_code == 204 and r.headers["hx-redirect"] == "/"


async def test_a_path_of_this_site_is_kept_as_next(client, other_client):
    await register(client, phone="13800138000")
    await other_client.get("/captcha.png")
    r = await other_client.post("/login", data={"csrf_token": await csrf_of(other_client, "/login"),
                                                "login": "13800138000", "password": PASSWORD, "captcha": CAPTCHA,
                                                "next": "/profile?x=1"})
    assert r.status_code == 303 and r.headers["location"] == "/profile?x=1"


async def test_the_rare_character_pages_back_link_stays_on_this_site(client):
    r = await client.get("/rarechars", params={"back": "/\\evil.example/x"})
    assert 'href="/">返回</a>' in r.text and "evil" not in r.text


# ------------------------------------------------------------------ only 通过 and 不通过 decide


async def test_an_unknown_action_decides_nothing(client, demo):
    a = await make_app(name="李四")
    row = await pending_realname()
    await reviewer(client)
    r = await client.post(f"/review/applications/{a.id}/decide", data={
        "csrf_token": await token(client), "action": "approve2", "reason": "证明材料不清晰"})
    assert r.status_code == 422 and "请选择“通过”或“不通过”后重新提交" in r.text
    assert (await Application.get(id=a.id)).status == "submitted" and not await ReviewLog.exists()
    r = await client.post(f"/review/realname/{row.id}/decide", data={
        "csrf_token": await token(client), "action": "", "reason": "证件照片不清晰"})
    assert r.status_code == 422 and "请选择“通过”或“不通过”后重新提交" in r.text
    assert (await RealnameRequest.get(id=row.id)).status == "pending"


# ------------------------------------------------------------------ every route, every field at once


SWEEP_VALUES = ["9" * 20, "2147483648", "x" * 300, "a\x00b", "é\x7f", "/\\127.0.0.1/x"]
SWEEP_FIELDS = ["login", "password", "captcha", "next", "id_type", "id_number", "name", "phone", "sms_code",
                "password2", "purpose", "province", "city", "site", "subjects", "agree", "condition", "item",
                "commitment", "action", "reason", "reason_choice", "back", "ids", "platform", "username",
                "wechat_user", "employer_province", "q", "day", "page", "status", "level", "exam", "skipped", "done",
                "pinyin", "strokes", "radical", "state", "certify_id", "sign", "out_trade_no", "amount_fen"]


def every_route(app):
    from starlette.routing import Mount, Route

    def walk(routes, prefix=""):
        for r in routes:
            if isinstance(r, Mount) and r.routes:
                yield from walk(r.routes, prefix + r.path)
            # Not 退出 (the sweep keeps its sessions) nor 重新报名 (a withdrawn draft on the board is another matter).
            elif isinstance(r, Route) and r.name not in ("logout", "review_logout", "restart"):
                yield prefix + r.path, sorted(r.methods - {"HEAD"})
    return list(walk(app.routes))


async def test_no_route_answers_a_hostile_value_with_a_500_or_without_chinese(app, client, other_client, demo):
    """Every route, as a candidate with an application and as a reviewer: each hostile value in every path
    parameter, and in every field and query value at once."""
    from urllib.parse import quote

    import httpx

    _, app_id = await at_info(client)
    await reviewer(other_client)
    tokens = {client: await csrf_of(client, "/exams"), other_client: await token(other_client)}
    bad = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    for browser in (client, other_client):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     cookies=browser.cookies) as c:
            for path, methods in every_route(app):
                for value in SWEEP_VALUES:
                    legit = re.sub(r"\{app_id:\w+\}", str(app_id), path)
                    urls = [re.sub(r"\{\w+(:\w+)?\}", quote(value, safe=""), path), re.sub(r"\{\w+(:\w+)?\}", "1", legit)]
                    for url, method in ((u, m) for u in urls for m in methods):
                        fields = dict.fromkeys(SWEEP_FIELDS, value)
                        if method == "GET":
                            r = await c.get(url, params=fields)
                        else:
                            r = await c.post(url, data=fields, headers={"X-CSRF-Token": tokens[browser]})
                        if r.status_code >= 500 or (r.status_code >= 400 and not re.search(r"[\u4e00-\u9fff]", r.text)
                                                    and r.text != "fail"):
                            bad.append((method, url[:80], repr(value), r.status_code, r.text[:80]))
    assert not bad, bad


async def test_a_client_gone_in_the_middle_of_its_body_is_not_a_server_error(app, caplog):
    """Issue 11 (hostile probe): a phone losing its network during an upload was logged as a server error (and
    uvicorn's "Exception in ASGI application"). Both ways of sending the token are tried."""
    import logging

    from tests.factories import csrf_of

    async def call(headers: list, first_chunk: bytes):
        messages = iter([{"type": "http.request", "body": first_chunk, "more_body": True},
                         {"type": "http.disconnect"}])
        sent = []

        async def receive():
            return next(messages, {"type": "http.disconnect"})

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/login", "raw_path": b"/login", "query_string": b"",
                 "root_path": "", "client": ("203.0.113.5", 5000), "server": ("testserver", 80),
                 "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                             (b"content-length", b"100"), *headers]}
        await app(scope, receive, send)
        return sent

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        token = await csrf_of(c, "/login")
        cookie = c.cookies["sid"]
    with caplog.at_level(logging.INFO, logger="kjks"):
        await call([(b"x-csrf-token", token.encode()), (b"cookie", f"sid={cookie}".encode())], b"login=1")
        await call([(b"cookie", f"sid={cookie}".encode())], b"csrf_token=" + token.encode())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum("client gone" in r.getMessage() for r in caplog.records) == 2


async def test_a_form_of_too_many_fields_with_its_token_inside_is_told_so(client):
    """Issue 11 (hostile probe): the CSRF check read such a form with Starlette's own limits, swallowed the
    refusal and answered "页面已过期" (403); it is the form reader's 400 now."""
    await candidate(client)
    token_ = await token(client)
    fields = {"csrf_token": token_, **{f"x{i}": "1" for i in range(1000)}}
    r = await client.post("/profile/basic", data=fields, files={"photo": ("me.jpg", b"\xff\xd8\xff", "image/jpeg")})
    chinese_page(r, 400, "提交的项目过多")
