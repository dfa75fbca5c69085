"""网上缴费 gateway: the provider interface, modelled on real payment gateways (create a payment → trade_no and
the URL of the payment page; an asynchronous signed notification to our notify URL; a status query; close),
and its sandbox, whose payment page /dev/pay/{trade_no} offers 确认支付 and 取消.

Notifications are signed with HMAC-SHA256 (settings.payment_key) over the fields sorted by name, joined as
`name=value&...`; the signature travels in the `sign` field.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from models.sandbox import SandboxPayment
from services import clock
from services.providers.base import choose

log = logging.getLogger("kjks.payment")

SIGNED_FIELDS = ("amount_fen", "merchant_id", "nonce", "out_trade_no", "paid_at", "status", "trade_no")


class PaymentError(Exception):
    """The gateway refused: the message is shown to the candidate."""


@dataclass(frozen=True)
class Created:
    trade_no: str
    redirect_url: str  # the gateway's payment page


@dataclass(frozen=True)
class TradeState:
    """What a status query answers: status is pending / paid / closed / unknown."""

    status: str
    trade_no: str = ""
    merchant_id: str = ""
    amount_fen: int = 0
    paid_at: datetime | None = None


class PaymentProvider(Protocol):
    merchant_id: str

    async def create(self, *, out_trade_no: str, amount_fen: int, subject: str, platform: str, now) -> Created:
        """Start a payment of our order on the chosen platform; raises PaymentError."""

    async def query(self, out_trade_no: str) -> TradeState:
        """The gateway's state of our order (a paid trade wins over pending ones)."""

    async def close(self, out_trade_no: str) -> None:
        """Close the pending payments of an order we no longer accept."""

    def verify(self, fields: dict[str, str]) -> bool:
        """Whether a notification carries the gateway's signature over every signed field."""


def signature(key: str, fields: dict[str, str]) -> str:
    message = "&".join(f"{name}={fields[name]}" for name in sorted(SIGNED_FIELDS))
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_signature(key: str, fields: dict[str, str]) -> bool:
    if not key or any(name not in fields for name in SIGNED_FIELDS):
        return False
    return hmac.compare_digest(fields.get("sign", ""), signature(key, fields))


class SandboxPayments:
    """The sandbox gateway: its own rows (SandboxPayment), its pages under /dev/pay, real HTTP notifications.

    `transport` lets tests route the server-to-server notification to the ASGI app; `retry_delays` are the
    pauses between notification attempts (a real gateway retries for hours; the sandbox a few seconds).
    """

    def __init__(self, settings, transport: httpx.AsyncBaseTransport | None = None,
                 retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)):
        self.base_url = settings.base_url
        self.merchant_id = settings.payment_merchant_id
        self.key = settings.payment_key
        self.transport = transport
        self.retry_delays = retry_delays
        # One HTTP client for every notification of the process (a new one cost 25-45 ms of CPU each time),
        # made in the event loop that uses it; closed by `aclose` at the app's shutdown.
        self._client: httpx.AsyncClient | None = None
        self._client_loop = None

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(transport=self.transport, timeout=5.0)
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None

    def payment_url(self, trade_no: str) -> str:
        return f"{self.base_url}/dev/pay/{trade_no}"

    async def create(self, *, out_trade_no: str, amount_fen: int, subject: str, platform: str, now) -> Created:
        rows = await SandboxPayment.filter(out_trade_no=out_trade_no, merchant_id=self.merchant_id)
        if any(r.status == "paid" for r in rows):
            raise PaymentError("该订单已支付，请勿重复支付")
        same = next((r for r in rows if r.status == "pending" and r.platform == platform
                     and r.amount_fen == amount_fen), None)
        if same:  # 支付 clicked again: the same trade, as real gateways do for the same out_trade_no
            return Created(same.trade_no, self.payment_url(same.trade_no))
        # Another platform chosen: the earlier trade can no longer be paid, so no order is paid twice.
        await SandboxPayment.filter(out_trade_no=out_trade_no, status="pending").update(status="closed")
        trade_no = "SBX" + now.strftime("%Y%m%d") + secrets.token_hex(8).upper()
        await SandboxPayment.create(
            trade_no=trade_no, merchant_id=self.merchant_id, platform=platform, out_trade_no=out_trade_no,
            amount_fen=amount_fen, subject=subject[:200], notify_url=f"{self.base_url}/pay/notify",
            return_url=f"{self.base_url}/pay/return/{out_trade_no}", created_at=now)
        return Created(trade_no, self.payment_url(trade_no))

    async def query(self, out_trade_no: str) -> TradeState:
        rows = await SandboxPayment.filter(out_trade_no=out_trade_no, merchant_id=self.merchant_id
                                           ).order_by("-created_at")
        row = next((r for r in rows if r.status == "paid"), rows[0] if rows else None)
        if row is None:
            return TradeState("unknown")
        return TradeState(row.status if row.status in ("pending", "paid") else "closed", row.trade_no,
                          row.merchant_id, row.amount_fen, row.paid_at)

    async def close(self, out_trade_no: str) -> None:
        await SandboxPayment.filter(out_trade_no=out_trade_no, status="pending").update(status="closed")

    def verify(self, fields: dict[str, str]) -> bool:
        return verify_signature(self.key, fields)

    # ------------------------------------------------------------ the gateway's own side (sandbox pages)

    async def trade(self, trade_no: str) -> SandboxPayment | None:
        return await SandboxPayment.get_or_none(trade_no=trade_no)

    async def confirm(self, trade_no: str, *, now) -> SandboxPayment | None:
        """确认支付: pending → paid once, then the signed notification. None if it cannot be paid."""
        if not await SandboxPayment.filter(trade_no=trade_no, status="pending").update(status="paid", paid_at=now):
            return None
        row = await SandboxPayment.get(trade_no=trade_no)
        await self.notify(row)
        return row

    async def cancel(self, trade_no: str) -> bool:
        return bool(await SandboxPayment.filter(trade_no=trade_no, status="pending").update(status="cancelled"))

    def notification(self, row: SandboxPayment) -> dict[str, str]:
        fields = {"merchant_id": row.merchant_id, "out_trade_no": row.out_trade_no, "trade_no": row.trade_no,
                  "amount_fen": str(row.amount_fen), "status": "paid", "paid_at": row.paid_at.isoformat(),
                  "nonce": secrets.token_hex(8)}
        return {**fields, "sign": signature(self.key, fields)}

    async def notify(self, row: SandboxPayment) -> bool:
        """POST the notification to the platform until it answers `success`, with backoff between tries."""
        fields = self.notification(row)
        client = self._http()
        for delay in (0.0, *self.retry_delays):
            await asyncio.sleep(delay)
            await SandboxPayment.filter(trade_no=row.trade_no).update(notify_attempts=row.notify_attempts + 1)
            row.notify_attempts += 1
            try:
                answer = await client.post(row.notify_url, data=fields)
                if answer.status_code == 200 and answer.text.strip() == "success":
                    await SandboxPayment.filter(trade_no=row.trade_no).update(notified_at=clock.now())
                    return True
            except httpx.HTTPError as e:
                log.warning("sandbox notify %s failed: %s", row.trade_no, e)
        return False


def make_payment_provider(settings, transport: httpx.AsyncBaseTransport | None = None,
                          retry_delays: tuple[float, ...] | None = None) -> PaymentProvider:
    def sandbox():
        if retry_delays is None:
            return SandboxPayments(settings, transport)
        return SandboxPayments(settings, transport, retry_delays)
    return choose("payment", settings.payment_provider, settings, sandbox)
