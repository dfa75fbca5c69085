"""services.accounts.kept: a sealed password opens only for its session and purpose, within its lifetime, and
garbage in the hidden field is refused quietly."""
import pytest

from services.accounts import kept

SECRET, SID = "s" * 32, "a1b2c3"


def test_a_seal_opens_for_its_session_and_purpose_and_shows_no_password():
    value = kept.seal(SECRET, SID, "register", "Passw0rd2027", "Passw0rd2027", now=1000)
    assert "Passw0rd2027" not in value and value.isascii()
    assert kept.unseal(SECRET, SID, "register", value, now=1000 + 60) == ("Passw0rd2027", "Passw0rd2027")
    assert kept.unseal(SECRET, "other-session", "register", value, now=1060) is None
    assert kept.unseal(SECRET, SID, "reset", value, now=1060) is None
    assert kept.unseal("t" * 32, SID, "register", value, now=1060) is None


def test_a_seal_expires():
    value = kept.seal(SECRET, SID, "login", "密码Passw0rd", "", now=1000)
    assert kept.unseal(SECRET, SID, "login", value, now=1000 + kept.LIFETIME_SECONDS - 1) == ("密码Passw0rd", "")
    assert kept.unseal(SECRET, SID, "login", value, now=1000 + kept.LIFETIME_SECONDS + 61) is None


def test_nothing_typed_or_too_long_is_not_sealed():
    assert kept.seal(SECRET, SID, "register", "", "") == ""
    assert kept.seal(SECRET, SID, "register", "x" * 200, "x" * 200) == ""


@pytest.mark.parametrize("value", ["", None, "not a token", "%%%", "é" * 10, "A" * 5000, "gAAAAA" + "A" * 100])
def test_garbage_is_refused_quietly(value):
    assert kept.unseal(SECRET, SID, "register", value) is None


def test_a_changed_byte_is_refused():
    value = kept.seal(SECRET, SID, "register", "Passw0rd2027", "Passw0rd2027")
    flipped = value[:40] + ("A" if value[40] != "A" else "B") + value[41:]
    assert kept.unseal(SECRET, SID, "register", flipped) is None
