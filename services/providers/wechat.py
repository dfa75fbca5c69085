"""微信扫码登录: the provider interface (modelled on WeChat's website QR login: an authorize URL carried
by the QR code, then an authorization code exchanged server-side for the user's openid) and its sandbox."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from models.sandbox import WechatGrant
from services.providers.base import choose

CODE_TTL = timedelta(minutes=5)


class WechatError(Exception):
    pass


class WechatProvider(Protocol):
    def authorize_url(self, state: str) -> str:
        """The URL the QR code carries; the phone opens it."""

    async def exchange_code(self, code: str, *, now) -> str:
        """Trade an authorization code for the openid; raises WechatError if it is invalid, used or expired."""


class SandboxWechat:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def authorize_url(self, state: str) -> str:
        return f"{self.base_url}/dev/wechat/authorize?{urlencode({'state': state})}"

    @staticmethod
    def openid_of(wechat_user: str) -> str:
        """A stable openid per sandbox WeChat user, shaped like WeChat's (28 characters starting with o)."""
        return "o" + hashlib.sha256(f"sandbox:{wechat_user}".encode()).hexdigest()[:27]

    async def grant(self, openid: str, *, now) -> str:
        """What the sandbox's 确认登录 does: issue a single-use code for this WeChat user."""
        code = secrets.token_urlsafe(24)
        await WechatGrant.create(code=code, openid=openid, expires_at=now + CODE_TTL)
        return code

    async def exchange_code(self, code: str, *, now) -> str:
        row = await WechatGrant.get_or_none(code=code)
        if row is None or row.expires_at <= now:
            raise WechatError("invalid or expired code")
        if not await WechatGrant.filter(code=code, used=False).update(used=True):
            raise WechatError("code already used")
        return row.openid


def make_wechat_provider(settings) -> WechatProvider:
    return choose("wechat", settings.wechat_provider, settings, lambda: SandboxWechat(settings.base_url))
