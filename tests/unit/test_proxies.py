"""Behind a reverse proxy: whose X-Forwarded-For the app believes (web/proxies.py, TRUSTED_PROXIES)."""
import pytest

from settings import SettingsError, networks
from web.proxies import forwarded

NGINX = networks("10.0.0.5, 10.1.0.0/16, ::1", "TRUSTED_PROXIES")


def scope(peer, *headers):
    return {"client": (peer, 41000), "headers": [(k.encode(), v.encode()) for k, v in headers]}


def test_without_trusted_proxies_the_headers_are_ignored():
    assert forwarded(scope("10.0.0.5", ("x-forwarded-for", "198.51.100.7")), frozenset()) == (None, None)


def test_a_client_that_is_not_the_proxy_cannot_choose_its_address():
    assert forwarded(scope("203.0.113.9", ("x-forwarded-for", "198.51.100.7"),
                           ("x-forwarded-proto", "https")), NGINX) == (None, None)


def test_behind_the_proxy_the_client_is_the_address_the_proxy_saw():
    assert forwarded(scope("10.0.0.5", ("x-forwarded-for", "198.51.100.7"), ("x-forwarded-proto", "https")),
                     NGINX) == (("198.51.100.7", 0), "https")


def test_entries_a_client_forged_to_the_left_are_never_read():
    # the client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the address it saw
    got, _ = forwarded(scope("10.0.0.5", ("x-forwarded-for", "1.2.3.4, 198.51.100.7")), NGINX)
    assert got == ("198.51.100.7", 0)
    # two proxies of ours (a CDN node inside 10.1/16, then nginx): the client is left of both
    got, _ = forwarded(scope("10.0.0.5", ("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "198.51.100.7, 10.1.2.3")),
                       NGINX)
    assert got == ("198.51.100.7", 0)


def test_malformed_headers_leave_the_proxy_address_or_the_last_readable_one():
    assert forwarded(scope("10.0.0.5", ("x-forwarded-for", "not an address")), NGINX) == (None, None)
    got, scheme = forwarded(scope("::1", ("x-forwarded-for", "garbage, [2001:db8::7]:5555"),
                                  ("x-forwarded-proto", "gopher")), NGINX)
    assert got == ("2001:db8::7", 0) and scheme is None


def test_settings_refuse_what_is_not_an_address():
    with pytest.raises(SettingsError):
        networks("10.0.0.5, nginx.internal", "TRUSTED_PROXIES")
