"""密码: rules, and hashing with argon2id (argon2-cffi) at a cost chosen on purpose.

The cost comes from the settings (`configure`, called by create_app): OWASP's 19 MiB, t=2, p=1 by default, about
21-28 ms of CPU per hash on the project's 2-core machine (the README's table has the alternatives measured).
A hash stores its own parameters, so hashes made at another cost keep verifying, and `needs_rehash` tells the
login to store a new one. Hashing runs in threads, off the event loop, at most `hashes_at_once` at a time per
process (the others wait their turn): a burst of logins cannot take every core from the page requests. The CPU
they take is counted (`kjks_password_hash_cpu_seconds_total`).
"""
from __future__ import annotations

import asyncio
import re
import time

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services import metrics

MIN_LEN, MAX_LEN = 8, 64

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# A hash to verify against when the account does not exist, so both cases take the same time.
_DUMMY = _hasher.hash("not-a-real-password-0")
_at_once = 1
_limiters: dict[int, anyio.CapacityLimiter] = {}  # per event loop: a limiter belongs to the loop that made it


def configure(*, time_cost: int, memory_kib: int, parallelism: int, at_once: int) -> None:
    """The cost of new hashes and how many run at once (from the settings)."""
    global _hasher, _DUMMY, _at_once
    params = (time_cost, memory_kib, parallelism)
    if params != (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        _DUMMY = _hasher.hash("not-a-real-password-0")
    _at_once = at_once
    _limiters.clear()


def use_fast_hashing_for_tests() -> None:
    """Tests register hundreds of accounts; the parameters are stored in each hash, so verify still works."""
    configure(time_cost=1, memory_kib=1024, parallelism=1, at_once=4)


def _limiter() -> anyio.CapacityLimiter:
    key = id(asyncio.get_running_loop())
    if key not in _limiters:
        _limiters.clear()  # one loop per process runs the app; an old loop's limiter is of no use
        _limiters[key] = anyio.CapacityLimiter(_at_once)
    return _limiters[key]


def password_error(password: str) -> str | None:
    if not password:
        return "请输入密码"
    if len(password) < MIN_LEN or len(password) > MAX_LEN:
        return f"密码长度应为{MIN_LEN}至{MAX_LEN}位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        return "密码必须同时包含字母和数字"
    if any(ord(ch) < 32 for ch in password):
        return "密码中不能包含控制字符"
    return None


def _hash(password: str) -> str:
    started = time.thread_time()
    try:
        return _hasher.hash(password)
    finally:
        metrics.password_hashing(time.thread_time() - started)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hash, password, limiter=_limiter())


def _verify(stored: str | None, password: str) -> bool:
    started = time.thread_time()
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
    finally:
        metrics.password_hashing(time.thread_time() - started)


async def verify_password(stored: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(_verify, stored, password, limiter=_limiter())


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made at another cost than the configured one (it is replaced at the next login)."""
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return False
