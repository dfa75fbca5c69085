"""Typed input where requests come in (web.paths, web.forms, web.limits), without a database: every route's
parameters are typed, each shape is the one the code issues, and the form rules."""
import random
import secrets
from datetime import datetime, timezone

import pytest
from starlette.datastructures import FormData, QueryParams
from starlette.routing import Mount, Route

from services.documents import form_pdf, uploads
from services.payment import orders
from web import limits, paths
from web.forms import Form, ascii_fields, safe_next


def routes_of(app):
    def walk(routes, prefix=""):
        for r in routes:
            if isinstance(r, Mount) and r.routes:
                yield from walk(r.routes, prefix + r.path)
            elif isinstance(r, Route):
                yield prefix + r.path, r
    return list(walk(app.routes))


@pytest.fixture
def app(settings):
    from app import create_app
    return create_app(settings, manage_db=False)


def test_every_path_parameter_of_every_route_is_typed(app):
    """No route takes a free string, path or unbounded int: each parameter has a shape of web.paths, so
    anything else is the 404 page before any handler runs."""
    loose = [(path, name, type(c).__name__) for path, route in routes_of(app) for name, c in route.param_convertors.items()
             if type(c).__module__ != "web.paths" and route.name != "verify_unknown"]
    assert not loose, loose


def test_each_shape_is_what_the_code_issues(tmp_path):
    now = datetime.now(timezone.utc)
    for _ in range(200):
        assert paths.fits("order", orders.order_number(now, "11"))
        assert paths.fits("verify_code", form_pdf.new_code())
        assert paths.fits("token", secrets.token_urlsafe(24))
        assert paths.fits("trade_no", "SBX" + now.strftime("%Y%m%d") + secrets.token_hex(8).upper())
    for kind in ("realname", "material", ""):
        assert paths.fits("stored", f"{kind}/{secrets.token_hex(16)}.jpg".lstrip("/"))
        assert paths.fits("stored", uploads.store(tmp_path, kind, b"%PDF", ".pdf"))
    for bad in ("realname/../x.jpg", "x" * 70, "a\x00b", "", "/etc/passwd"):
        assert not any(paths.fits(shape, bad) for shape in paths.SHAPES)


def test_an_id_is_a_whole_number_within_the_id_columns_range():
    assert paths.ID_MAX == 2 ** 31 - 1
    for n in (1, 9, 10, 2147483647, 2147483639, 1999999999, 2147000000):
        assert paths.fits("id", str(n))
    for s in ("0", "01", "-1", "+1", " 1", "1e3", "2147483648", "2147483650", "9223372036854775808", "9" * 20):
        assert not paths.fits("id", s)
    for _ in range(20000):
        n = random.randrange(1, 10 ** 11)
        assert paths.fits("id", str(n)) == (n <= paths.ID_MAX)


def test_a_form_value_with_a_control_character_or_too_long_is_refused_next_to_its_field():
    form = Form(FormData([("name", "张\x00三"), ("note", "一\r\n二\t三"), ("long", "x" * 1001), ("reason", "很" * 201),
                          ("login", "1" * 40)]), limits={"reason": 200}, keys={"login": 32})
    assert form.get("name") == "" and form.errors["name"] == "包含无效字符，请删除后重新填写"
    assert form.get("note") == "一\r\n二\t三"  # what a textarea sends
    assert form.get("long") == "" and "不能超过1000个字" in form.errors["long"]
    assert form.get("reason") == "" and form.errors["reason"] == "内容过长，不能超过200个字"
    assert form.get("login") == "1" * 40 and form.key("login") is None and "login" not in form.errors


def test_query_values_are_typed_the_same_way():
    q = Form(QueryParams("city=" + "9" * 20 + "&site=12&page=-3&x=%7f&state=" + "a" * 32))
    assert q.id("city") is None and q.id("site") == 12 and q.number("page", 1, 10) is None
    assert q.get("x") == "" and "x" in q.errors
    assert q.shaped("state", "token") == "a" * 32 and q.shaped("site", "token") == ""


@pytest.mark.parametrize("value", ["/\\127.0.0.1:18899/x", "/\t/", "//evil.example", "/\\/evil", "https://evil",
                                   "javascript:alert(1)", " /x", "/x y", "/\u3000", "/\x00", "", None, "/" + "a" * 600])
def test_next_refuses_anything_but_a_path_of_this_site(value):
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/", "/profile", "/apply/12/info?city=110105&site=3", "/review/applications/5"])
def test_next_keeps_a_path_of_this_site(value):
    assert safe_next(value) == value


def test_a_notification_is_printable_ascii_fields_each_once():
    assert ascii_fields(b"a=1&sign=abc") == {"a": "1", "sign": "abc"}
    for body in (b"sign=%E7%AD%BE", "sign=签".encode(), b"sign=a%00b", b"a=1&a=2", b"sign=\xff"):
        assert ascii_fields(body) is None, body


def test_every_limited_route_exists_and_uploads_take_more_than_a_form(app):
    limit = limits.BodyLimits([route for _, route in routes_of(app) if route.name in limits.LIMITS])
    assert limit("/login").body == limits.FORM
    assert limit("/apply/12/materials/upload").body > 10 * 1024 * 1024
    assert limit("/realname/online").body >= 15 * 1024 * 1024
    assert limit("/pay/notify").refusal == "fail" and limit("/pay/notify").body <= 8 * 1024
    with pytest.raises(RuntimeError):  # a renamed route must not fall back to the ordinary limit unnoticed
        limits.BodyLimits([])
