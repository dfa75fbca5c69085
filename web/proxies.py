"""Who is asking, behind a reverse proxy: the client's address and scheme from X-Forwarded-For and
X-Forwarded-Proto, believed only when the connection comes from a trusted proxy (TRUSTED_PROXIES).

Without a trusted proxy the headers are ignored: any client can send them, and the login lock-out, the SMS
limits and the logs would otherwise count whatever address it made up. Behind nginx, each proxy appends the
address it saw, so the client is the right-most address that is not itself a trusted proxy; a client's own
forged entries stand to the left of it and are never read.
"""
from __future__ import annotations

import ipaddress


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, proxies: frozenset) -> bool:
    return address is not None and any(address in network for network in proxies)


def forwarded(scope: dict, proxies: frozenset) -> tuple[tuple[str, int] | None, str | None]:
    """The (client, scheme) the request came for, when its peer is a trusted proxy; (None, None) otherwise
    (leave the scope as the server made it)."""
    peer = scope.get("client")
    if not proxies or not peer or not _trusted(_address(peer[0]), proxies):
        return None, None
    chain: list[bytes] = []
    proto = None
    for name, value in scope["headers"]:
        if name == b"x-forwarded-for":
            chain.extend(value.split(b","))
        elif name == b"x-forwarded-proto":
            proto = value.decode("latin-1").strip().lower()
    client = None
    for entry in reversed(chain):
        address = _address(entry.decode("latin-1"))
        if address is None:  # unreadable: nothing to its left can be believed either
            break
        client = address
        if not _trusted(address, proxies):
            break
    scheme = proto if proto in ("http", "https") else None
    return ((str(client), 0) if client is not None else None), scheme


def apply(scope: dict, proxies: frozenset) -> None:
    """Put the forwarded client and scheme into the scope (in place), as if the client had connected directly."""
    client, scheme = forwarded(scope, proxies)
    if client is not None:
        scope["client"] = client
    if scheme is not None:
        scope["scheme"] = scheme
