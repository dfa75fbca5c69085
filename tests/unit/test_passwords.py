"""密码 hashing at a deliberate cost (issue 12): the settings choose argon2id's parameters, old hashes keep
verifying and are replaced at the next login, and only so many hashes run at once."""
import asyncio
import threading
import time

import pytest
from argon2 import PasswordHasher

import settings as settings_module
from services.accounts import passwords


@pytest.fixture
def restore():
    saved = (passwords._hasher, passwords._DUMMY, passwords._at_once)
    yield
    passwords._hasher, passwords._DUMMY, passwords._at_once = saved
    passwords._limiters.clear()


def test_the_default_cost_is_owasps_19_mib_two_passes_one_lane():
    s = settings_module.load({"APP_ENV": "test"})
    assert (s.password_memory_kib, s.password_time_cost, s.password_parallelism) == (19456, 2, 1)
    assert s.password_hashes_at_once == 1
    with pytest.raises(settings_module.SettingsError):
        settings_module.load({"APP_ENV": "production", "SECRET_KEY": "k", "PAYMENT_KEY": "p",
                              "PASSWORD_MEMORY_KIB": "1024", "SMS_PROVIDER": "x", "WECHAT_PROVIDER": "x",
                              "ALIPAY_PROVIDER": "x", "PAYMENT_PROVIDER": "x"})


async def test_a_hash_made_at_another_cost_verifies_and_needs_rehashing(restore):
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("Passw0rd2027")  # argon2-cffi's default
    passwords.configure(time_cost=2, memory_kib=19456, parallelism=1, at_once=1)
    assert await passwords.verify_password(old, "Passw0rd2027")
    assert passwords.needs_rehash(old)
    new = await passwords.hash_password("Passw0rd2027")
    assert "m=19456,t=2,p=1" in new and not passwords.needs_rehash(new)


async def test_no_more_hashes_run_at_once_than_the_setting_allows(restore):
    passwords.configure(time_cost=1, memory_kib=1024, parallelism=1, at_once=2)
    stored = await passwords.hash_password("Passw0rd2027")
    running, most, lock = 0, 0, threading.Lock()
    real = passwords._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hash_, password):
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.02)
            try:
                return real.verify(hash_, password)
            finally:
                with lock:
                    running -= 1

    passwords._hasher = Counting()
    results = await asyncio.gather(*(passwords.verify_password(stored, "Passw0rd2027") for _ in range(8)))
    assert all(results) and most == 2


async def test_the_cpu_of_every_hash_and_verification_is_counted(restore):
    """kjks_password_hash_cpu_seconds_total: what the operators (and bench/journey.py) subtract from a node's CPU."""
    from prometheus_client import REGISTRY

    def counted() -> float:
        return REGISTRY.get_sample_value("kjks_password_hash_cpu_seconds_total") or 0.0

    passwords.configure(time_cost=2, memory_kib=19456, parallelism=1, at_once=1)
    before = counted()
    stored = await passwords.hash_password("Passw0rd2027")
    after_hash = counted()
    assert after_hash - before > 0.002  # an argon2id hash at 19 MiB takes milliseconds of CPU, in its thread
    assert not await passwords.verify_password(stored, "wrong-password1")  # a wrong password costs as much
    assert counted() - after_hash > 0.002
