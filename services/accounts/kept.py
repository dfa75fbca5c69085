"""The passwords typed on 注册 and 找回密码 (and 登录), kept across the form's round trips without JavaScript
(免费获取验证码, 生僻字, 看不清): a page never shows a password again, so the server seals what it received into a
hidden field that only it can open, for this browser session and purpose, for a few minutes.

The seal is a Fernet token (the `cryptography` library: AES-128-CBC and HMAC-SHA256, a timestamp checked against
a time to live) under a key derived from SECRET_KEY, the session and the purpose: the page holds neither the
password nor anything from which it could be guessed offline (unlike a hash), and a seal copied into another
session or form opens nowhere. Nothing is stored on the server.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from cryptography.fernet import Fernet, InvalidToken

LIFETIME_SECONDS = 10 * 60  # a candidate who leaves the form for longer types the passwords again
MAX_TEXT = 256  # two passwords of at most 64 characters, as UTF-8 and JSON
MAX_SEAL = 512  # a Fernet token of MAX_TEXT bytes, base64: anything longer is not ours


def _fernet(secret: str, sid_hash: str, purpose: str) -> Fernet:
    key = hmac.new(secret.encode(), f"kept-password:{sid_hash}:{purpose}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, sid_hash: str, purpose: str, password: str, password2: str, now: float | None = None) -> str:
    """The hidden field's value for the two passwords as typed ("" when none was typed)."""
    if not password and not password2:
        return ""
    text = json.dumps([password, password2], ensure_ascii=False).encode()
    if len(text) > MAX_TEXT:  # longer than any password accepted: typed again
        return ""
    fernet = _fernet(secret, sid_hash, purpose)
    return fernet.encrypt_at_time(text, int(now or time.time())).decode()


def unseal(secret: str, sid_hash: str, purpose: str, value: str | None,
           now: float | None = None) -> tuple[str, str] | None:
    """The two passwords of a seal made for this session and purpose and not yet expired, else None."""
    if not value or len(value) > MAX_SEAL or not value.isascii():
        return None
    try:
        text = _fernet(secret, sid_hash, purpose).decrypt_at_time(value.encode(), LIFETIME_SECONDS,
                                                                  int(now or time.time()))
        pair = json.loads(text.decode())
    except (InvalidToken, ValueError, UnicodeError):
        return None
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        return None
    return pair[0], pair[1]
