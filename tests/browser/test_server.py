"""The production server (python -m cli serve, server.py) as a client that is not a browser meets it: requests
too malformed for the app to see are refused by the server itself, in Chinese (issue 11)."""
import socket
from urllib.parse import urlsplit

import pytest

MALFORMED = [
    b"GET /help\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n",
    b"GET /help HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n",
]


def exchange(url: str, raw: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as s:
        s.sendall(raw)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("raw", MALFORMED, ids=["nul", "long-url", "bad-length", "two-lengths", "bad-chunk", "del"])
def test_a_request_the_app_never_sees_is_refused_in_chinese(server_url, raw):
    answer = exchange(server_url, raw)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"text/html; charset=utf-8" in head and "无法处理该请求" in body.decode("utf-8")
    assert b"Invalid HTTP request" not in answer
