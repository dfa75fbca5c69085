"""支付宝实名认证: the provider interface, modelled on Alipay's identity verification API
(alipay.user.certify.open.initialize → a certify URL carried by a QR code → alipay.user.certify.open.query),
and its sandbox, whose scan page /dev/alipay/certify offers 确认授权."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from models.sandbox import AlipayCertification
from services.providers.base import choose

TTL = timedelta(minutes=10)


class AlipayProvider(Protocol):
    async def initialize(self, name: str, id_number: str, *, now) -> str:
        """Start a certification for this person; returns the certify id."""

    def certify_url(self, certify_id: str) -> str:
        """The URL the QR code carries; the person opens it in the Alipay app."""

    async def query(self, certify_id: str, *, now) -> str:
        """'passed', 'pending' or 'expired'."""


class SandboxAlipay:
    def __init__(self, base_url: str):
        self.base_url = base_url

    async def initialize(self, name: str, id_number: str, *, now) -> str:
        certify_id = secrets.token_urlsafe(24)
        await AlipayCertification.create(certify_id=certify_id, name=name, id_number=id_number,
                                         expires_at=now + TTL)
        return certify_id

    def certify_url(self, certify_id: str) -> str:
        return f"{self.base_url}/dev/alipay/certify?{urlencode({'certify_id': certify_id})}"

    async def query(self, certify_id: str, *, now) -> str:
        row = await AlipayCertification.get_or_none(certify_id=certify_id)
        if row is None:
            return "expired"
        if row.passed:
            return "passed"
        return "expired" if row.expires_at <= now else "pending"

    async def pending(self, certify_id: str, *, now) -> AlipayCertification | None:
        """The certification the scan page shows, while it can still be authorised."""
        return await AlipayCertification.get_or_none(certify_id=certify_id, passed=False, expires_at__gt=now)

    async def authorize(self, certify_id: str, *, now) -> bool:
        """What 确认授权 on the sandbox scan page does."""
        return bool(await AlipayCertification.filter(certify_id=certify_id, passed=False,
                                                     expires_at__gt=now).update(passed=True))


def make_alipay_provider(settings) -> AlipayProvider:
    return choose("alipay", settings.alipay_provider, settings, lambda: SandboxAlipay(settings.base_url))
