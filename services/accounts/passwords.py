"""密码: rules and hashing with argon2id (argon2-cffi). Hashing runs in a thread, off the event loop."""
from __future__ import annotations

import re

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LEN, MAX_LEN = 8, 64

_hasher = PasswordHasher()  # argon2id, RFC 9106 "low memory" profile: ~50 ms and 64 MiB per hash
# A hash to verify against when the account does not exist, so both cases take the same time.
_DUMMY = _hasher.hash("not-a-real-password-0")


def use_fast_hashing_for_tests() -> None:
    """Tests register hundreds of accounts; the parameters are stored in each hash, so verify still works."""
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY = _hasher.hash("not-a-real-password-0")


def password_error(password: str) -> str | None:
    if not password:
        return "请输入密码"
    if len(password) < MIN_LEN or len(password) > MAX_LEN:
        return f"密码长度应为{MIN_LEN}至{MAX_LEN}位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码必须同时包含字母和数字"
    if any(ord(ch) < 32 for ch in password):
        return "密码中不能包含控制字符"
    return None


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(_verify, stored, password)
