"""短信: the provider interface and the sandbox that writes to the outbox at /dev/outbox."""
from __future__ import annotations

from typing import Protocol

from models.sandbox import SmsOutbox
from services.providers.base import choose


class SmsSendError(Exception):
    pass


class SmsProvider(Protocol):
    async def send_code(self, phone: str, code: str, *, now) -> None:
        """Deliver a verification code; raises SmsSendError when the provider refuses."""

    async def send_text(self, phone: str, text: str, *, now) -> None:
        """Deliver a notification (at most 70 characters, signed); raises SmsSendError when the provider refuses."""


class SandboxSms:
    """Behaves like a real gateway's verification-code API: numbers it cannot reach fail."""

    UNREACHABLE_SUFFIX = "0000"  # a sandbox number ending in 0000 is "out of service", to test failures

    async def send_code(self, phone: str, code: str, *, now) -> None:
        if phone.endswith(self.UNREACHABLE_SUFFIX):
            raise SmsSendError("unreachable")
        text = f"【会计资格考试报名】您的验证码为{code}，3分钟内有效。如非本人操作，请忽略本短信。"
        await SmsOutbox.create(phone=phone, code=code, text=text, sent_at=now)

    async def send_text(self, phone: str, text: str, *, now) -> None:
        if phone.endswith(self.UNREACHABLE_SUFFIX):
            raise SmsSendError("unreachable")
        await SmsOutbox.create(phone=phone, code="", text=text, sent_at=now)  # a notification: no code

    async def outbox(self, limit: int = 100, phone: str | None = None) -> list[SmsOutbox]:
        """The messages "sent", newest first (the /dev/outbox page), all or one phone's."""
        rows = SmsOutbox.filter(phone=phone) if phone else SmsOutbox.all()
        return await rows.order_by("-sent_at", "-id").limit(limit)


def make_sms_provider(settings) -> SmsProvider:
    return choose("sms", settings.sms_provider, settings, lambda: SandboxSms())
