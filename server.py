"""Serving the app: uvicorn on a listening socket of our own, in one process or N.

uvicorn's `--workers N` binds its listening socket with `proto` 0; accepted connections inherit it, and asyncio
turns TCP_NODELAY on only for sockets that say IPPROTO_TCP. So with several workers Nagle's algorithm stayed on,
and every response after the first on a keep-alive connection waited about 40 ms for the client's delayed ACK
(uvicorn issue #3149, open). Here the socket is made with IPPROTO_TCP, so one worker or N answer alike.

`python -m cli serve` (production) and `python -m cli run` (make run) start the app through `serve`.
"""
from __future__ import annotations

import ipaddress
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

BACKLOG = 2048


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


def serve(host: str, port: int, workers: int = 1, *, log_level: str = "warning", access_log: bool = False,
          graceful_seconds: float = 20.0) -> None:
    """Serve app:asgi on host:port with `workers` processes (the standard asyncio loop: with uvloop the p99 of
    multi-kilobyte pages under load was 5-10 times worse in our measurements, README)."""
    config = uvicorn.Config("app:asgi", factory=True, host=host, port=port, workers=workers, loop="asyncio",
                            log_level=log_level, access_log=access_log, backlog=BACKLOG,
                            timeout_graceful_shutdown=graceful_seconds)
    sock = listening_socket(host, port)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
