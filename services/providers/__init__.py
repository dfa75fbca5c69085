"""Outside providers (SMS, WeChat, Alipay, the payment gateway) behind small interfaces, each with a sandbox.

`make_providers(settings)` builds the configured ones once per process (app.state.providers). The
platform talks to them only through their interfaces. The sandboxes also play the outside party's own
side (the SMS outbox, WeChat's and Alipay's phone screens, the gateway's payment page): those calls go
through `Providers.sandbox`, which exists only outside production, and never through the provider slots.
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.providers.alipay import AlipayProvider, SandboxAlipay, make_alipay_provider
from services.providers.payment import PaymentProvider, SandboxPayments, make_payment_provider
from services.providers.sms import SandboxSms, SmsProvider, make_sms_provider
from services.providers.wechat import SandboxWechat, WechatProvider, make_wechat_provider


@dataclass
class Sandbox:
    """The outside parties' own side, for the /dev pages: present only outside production."""

    sms: SandboxSms | None
    wechat: SandboxWechat | None
    alipay: SandboxAlipay | None
    payments: SandboxPayments | None


@dataclass
class Providers:
    sms: SmsProvider
    wechat: WechatProvider
    alipay: AlipayProvider
    payments: PaymentProvider
    sandbox: Sandbox | None = None

    async def aclose(self) -> None:
        """What the providers hold open (HTTP clients), at the app's shutdown."""
        for provider in (self.sms, self.wechat, self.alipay, self.payments):
            if hasattr(provider, "aclose"):
                await provider.aclose()


def make_providers(settings, payment_transport: httpx.AsyncBaseTransport | None = None,
                   payment_retry_delays: tuple[float, ...] | None = None) -> Providers:
    """The configured providers. `payment_transport` / `payment_retry_delays` let tests route the sandbox
    gateway's notifications to the app in process."""
    providers = Providers(make_sms_provider(settings), make_wechat_provider(settings),
                          make_alipay_provider(settings),
                          make_payment_provider(settings, payment_transport, payment_retry_delays))
    if not settings.production:
        def own(p, kind):
            return p if isinstance(p, kind) else None
        providers.sandbox = Sandbox(own(providers.sms, SandboxSms), own(providers.wechat, SandboxWechat),
                                    own(providers.alipay, SandboxAlipay), own(providers.payments, SandboxPayments))
    return providers
