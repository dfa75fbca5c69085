"""Payment rules without HTTP: the signature, the order number, the expiry, the sandbox refused in production."""
import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest

import settings as settings_module
from services.payment import orders as payment
from services.providers.payment import SIGNED_FIELDS, make_payment_provider, signature, verify_signature

FIELDS = {"merchant_id": "M", "out_trade_no": "20271130-11-7F3K9Q2M", "trade_no": "SBX1", "amount_fen": "11200",
          "status": "paid", "paid_at": "2027-11-30T02:00:00+00:00", "nonce": "ab"}


def test_signature_covers_every_signed_field_and_needs_the_key():
    signed = {**FIELDS, "sign": signature("k", FIELDS)}
    assert verify_signature("k", signed)
    assert not verify_signature("other", signed)
    assert not verify_signature("", signed)
    for name in SIGNED_FIELDS:
        assert not verify_signature("k", {**signed, name: signed[name] + "0"}), name
        assert not verify_signature("k", {k: v for k, v in signed.items() if k != name}), name
    assert signature("k", dict(reversed(list(FIELDS.items())))) == signed["sign"]  # order of fields does not matter


def test_order_number_is_china_date_province_and_a_readable_random_part():
    late_evening_utc = datetime(2027, 11, 29, 17, 30, tzinfo=timezone.utc)  # already 30 November in China
    numbers = {payment.order_number(late_evening_utc, "11") for _ in range(50)}
    assert len(numbers) == 50
    assert all(re.fullmatch(r"20271130-11-[2-9A-HJ-NP-Z]{8}", n) for n in numbers)


def test_order_expires_after_the_timeout_but_never_after_the_pay_window():
    t = datetime(2027, 1, 10, tzinfo=timezone.utc)
    assert payment.expires_at(t, 1800, t + timedelta(days=1)) == t + timedelta(minutes=30)
    assert payment.expires_at(t, 1800, t + timedelta(minutes=5)) == t + timedelta(minutes=5)


def test_effective_status_treats_an_expired_open_order_as_closed():
    t = datetime(2027, 1, 10, tzinfo=timezone.utc)
    order = type("O", (), {"status": "open", "expires_at": t})()
    assert payment.effective_status(order, t - timedelta(seconds=1)) == "open"
    assert payment.effective_status(order, t) == "closed"
    assert payment.effective_status(None, t) == "none"


def test_the_sandbox_gateway_is_refused_in_production():
    env = {"APP_ENV": "production", "SECRET_KEY": "s" * 40, "PAYMENT_KEY": "p" * 40, "SMS_PROVIDER": "real",
           "WECHAT_PROVIDER": "real", "ALIPAY_PROVIDER": "real", "DATABASE_URL": "sqlite:///tmp/x.sqlite3"}
    with pytest.raises(settings_module.SettingsError, match="sandbox"):
        settings_module.load(env)  # PAYMENT_PROVIDER defaults to the sandbox
    test = settings_module.load({"APP_ENV": "test"})
    with pytest.raises(RuntimeError, match="sandbox payment provider is refused in production"):
        make_payment_provider(dataclasses.replace(test, app_env="production"))
    assert make_payment_provider(test).merchant_id == test.payment_merchant_id
