"""Serving the app: uvicorn on a listening socket of our own, in one process or N.

uvicorn's `--workers N` binds its listening socket with `proto` 0; accepted connections inherit it, and asyncio
turns TCP_NODELAY on only for sockets that say IPPROTO_TCP. So with several workers Nagle's algorithm stayed on,
and every response after the first on a keep-alive connection waited about 40 ms for the client's delayed ACK
(uvicorn issue #3149, open). Here the socket is made with IPPROTO_TCP, so one worker or N answer alike.

`python -m cli serve` (production) and `python -m cli run` (make run) start the app through `serve`.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import tempfile
from pathlib import Path

import uvicorn
from prometheus_client import multiprocess
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

BACKLOG = 2048
# Seconds an idle keep-alive connection stays open: longer than uvicorn's 5, which is about when a page's
# next request comes (and when 系统繁忙's Retry-After sends one again); a request sent as the server closes the
# connection fails on the client.
KEEP_ALIVE = 30
# What uvicorn answers itself, before the app sees the request (a malformed request line or header, a bad
# Content-Length, a bad chunk): in Chinese, as every refusal of the platform, instead of uvicorn's English
# "Invalid HTTP request received." in plain text.
BAD_REQUEST = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无法处理该请求</title></head>'
               '<body><h1>无法处理该请求</h1><p>请求的格式有误，可能是浏览器、网络或链接出了问题。请返回首页重新进入；'
               '如仍出现此页面，请换用最新版本的浏览器后再试。</p><p><a href="/">返回首页</a></p></body></html>'
               ).encode("utf-8")


class ChineseRefusals(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools), with its own 400 in Chinese."""

    def send_400_response(self, msg: str) -> None:
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: text/html; charset=utf-8\r\n", b"x-content-type-options: nosniff\r\n",
                 b"content-length: %d\r\n" % len(BAD_REQUEST), b"connection: close\r\n\r\n", BAD_REQUEST]
        self.transport.write(b"".join(head))
        self.transport.close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP listening socket whose accepted connections asyncio sets TCP_NODELAY on."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:  # a host name
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def metrics_dir():
    """PROMETHEUS_MULTIPROC_DIR for this node's workers (web/metrics.py), in the environment before any of them
    starts: the one given, emptied of an earlier run's files (its counters would go on from them, its live gauges
    count processes long gone), or a new one, removed at the end. Yields the directory."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for old in Path(given).glob("*.db"):
            old.unlink()
        yield given
        return
    made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kjks-metrics-")
    try:
        yield made
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(made, ignore_errors=True)


class MetricsWorkers(Multiprocess):
    """uvicorn's supervisor, which also tells prometheus_client when a worker is gone (died and replaced, restarted
    by SIGHUP, removed by SIGTTOU), so that its live gauges (the requests in flight, the database pool) stop
    counting. The supervisor looks at its workers every half second; this looks with it."""

    def __init__(self, config, sockets, metrics_dir: str):
        super().__init__(config, sockets)
        self.metrics_dir = metrics_dir
        self.pids: set[int] = set()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        pids = {process.pid for process in self.processes}
        for pid in self.pids - pids:
            multiprocess.mark_process_dead(pid, self.metrics_dir)
        self.pids = pids


def serve(host: str, port: int, workers: int = 1, *, log_level: str = "warning", access_log: bool = False,
          graceful_seconds: float = 20.0) -> None:
    """Serve app:asgi on host:port with `workers` processes (the standard asyncio loop: with uvloop the p99 of
    multi-kilobyte pages under load was 5-10 times worse in our measurements, README)."""
    config = uvicorn.Config("app:asgi", factory=True, host=host, port=port, workers=workers, loop="asyncio",
                            http="server:ChineseRefusals",
                            # X-Forwarded-For is read by the app, and only from TRUSTED_PROXIES (web/proxies.py):
                            # uvicorn's own handling would trust it from 127.0.0.1 by default.
                            proxy_headers=False, server_header=False,
                            log_level=log_level, access_log=access_log, backlog=BACKLOG, timeout_keep_alive=KEEP_ALIVE,
                            timeout_graceful_shutdown=graceful_seconds)
    sock = listening_socket(host, port)
    if workers > 1:
        # Several processes: their metrics go through files (one worker keeps them in memory; the cli has
        # imported prometheus_client already, too late for the directory to matter to it).
        with metrics_dir() as directory:
            MetricsWorkers(config, [sock], directory).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
