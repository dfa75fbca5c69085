"""What nginx in front of the nodes does for every request (deploy/nginx.conf): the client's address passed on
and believed only from the proxy, static files, compression, body limits, /metrics kept inside, its own
refusals in Chinese."""
from __future__ import annotations

import re
import socket

import httpx
import pytest

from tests.deploy.harness import ROOT, Nginx, Node, send_sms

FORGED = "198.51.100.7"


def from_address(base_url: str, address: str) -> httpx.Client:
    """A client whose connections come from `address` (any of 127.0.0.0/8 is this machine)."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=10)


def failed_login(client: httpx.Client, headers: dict) -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    client.get("/captcha.png")
    return client.post("/login", data={"csrf_token": token, "login": "13000000000", "password": "Wrong-pass1",
                                       "captcha": "TEST", "next": "/"}, headers=headers)


def test_e_a_forged_forwarded_for_counts_only_through_the_trusted_proxy(deploy):
    node = deploy.nodes["a"]
    # Straight to a node from an address that is not nginx's: the header is anyone's, the peer is counted.
    with from_address(node.url, "127.0.0.2") as direct:
        assert send_sms(direct, "13900000002", {"X-Forwarded-For": FORGED}).status_code == 200
        assert failed_login(direct, {"X-Forwarded-For": FORGED}).status_code == 422
    # Through nginx (TRUSTED_PROXIES=127.0.0.1): the client nginx saw, whatever the client wrote before it.
    with from_address(deploy.url, "127.0.0.3") as proxied:
        assert send_sms(proxied, "13900000003", {"X-Forwarded-For": FORGED}).status_code == 200
        assert failed_login(proxied, {"X-Forwarded-For": FORGED}).status_code == 422
    windows = {r["key"] for r in deploy.sql.rows("SELECT key FROM rate_window WHERE key LIKE 'sms-ip:%'")}
    assert {"sms-ip:127.0.0.2", "sms-ip:127.0.0.3"} <= windows and f"sms-ip:{FORGED}" not in windows, windows
    failures = {r["ip"] for r in deploy.sql.rows("SELECT DISTINCT ip FROM login_failure")}
    assert {"127.0.0.2", "127.0.0.3"} <= failures and FORGED not in failures, failures


def test_static_files_come_from_nginx_cached_for_a_year_only_under_their_versioned_url(deploy):
    page = httpx.get(deploy.url + "/login").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls
    for url in urls:
        r = httpx.get(deploy.url + url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and "x-node" not in r.headers, url  # nginx's own answer
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        name = url.split("?")[0].removeprefix("/static/")
        assert r.content == (ROOT / "static" / name).read_bytes()
        if name.endswith((".css", ".js")):
            assert r.headers["content-encoding"] == "gzip" and "charset=utf-8" in r.headers["content-type"]
    # Without its version (a font named in a stylesheet, an old link): revalidated, answered 304 when unchanged.
    plain = httpx.get(deploy.url + "/static/css/app.css")
    assert plain.headers["cache-control"] == "no-cache" and plain.headers.get("etag")
    again = httpx.get(deploy.url + "/static/css/app.css", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
    # A name that is no file: the app's own 404 page.
    missing = httpx.get(deploy.url + "/static/css/nothing.css")
    assert missing.status_code == 404 and missing.headers.get("x-node") and "页面" in missing.text


def test_pages_are_compressed_and_carry_the_node_that_answered(deploy):
    r = httpx.get(deploy.url + "/help", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and r.headers["x-node"] in ("a", "b")
    assert "Accept-Encoding" in r.headers["vary"] and "HX-Request" in r.headers["vary"]


def raw_request(port: int, head: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            if b"</html>" in data:
                break
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize("path, app_limit", [("/apply/1/photo", 3 * 1024 * 1024), ("/login", 64 * 1024)],
                         ids=["photo-upload", "ordinary-form"])
def test_a_body_over_the_apps_limit_gets_the_apps_page_and_far_over_it_nginx_s_own(deploy, path, app_limit):
    # A little over the app's limit: nginx passes it on and the node refuses it with its own page.
    body = b"x" * (app_limit + 16 * 1024)
    r = httpx.post(deploy.url + path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers.get("x-node") and "超过了允许的大小" in r.text
    # Far over it: nginx answers from the Content-Length alone, in Chinese, before reading the body.
    status, answer = raw_request(deploy.nginx.port, f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                 f"application/x-www-form-urlencoded\r\nContent-Length: {app_limit * 4}\r\n\r\n".encode())
    assert status == 413 and "提交的内容过大" in answer.decode("utf-8", "replace") and b"x-node" not in answer.lower()


def test_metrics_are_kept_from_the_outside(deploy):
    assert httpx.get(deploy.url + "/metrics").status_code == 404
    for _ in range(4):  # round-robin: both nodes see some of these
        assert httpx.get(deploy.url + "/login").status_code == 200
    direct = httpx.get(deploy.nodes["a"].url + "/metrics")  # Prometheus, from loopback (METRICS_ALLOW)
    assert direct.status_code == 200 and direct.headers["content-type"].startswith("text/plain")
    assert 'kjks_requests_total{method="GET",route="/login",status="200"}' in direct.text
    assert "kjks_requests_in_flight" in direct.text and "kjks_db_pool_connections" in direct.text


def test_nginx_s_own_refusals_are_chinese_pages(deploy):
    long_url = "/" + "a" * 70_000
    status, answer = raw_request(deploy.nginx.port, f"GET {long_url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status in (400, 414) and "无法处理该请求" in answer.decode("utf-8", "replace")
    assert httpx.get(deploy.url + "/_errors/unavailable.html").status_code == 404  # internal only


def test_with_no_node_left_nginx_says_so_in_chinese(deploy, tmp_path):
    ghost = Node("ghost", tmp_path, deploy.env)  # never started: its port refuses connections
    alone = Nginx(tmp_path, [ghost], deploy.upload_dir)
    alone.start()
    try:
        r = httpx.get(alone.url + "/")
        assert r.status_code == 502 and "服务暂时不可用" in r.text and "nginx" not in r.text.lower()
    finally:
        alone.stop()
