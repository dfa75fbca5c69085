"""Candidate accounts, reviewer accounts, server-side sessions and the one-time secrets of logging in."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdType:
    """证件类型. The validation rules for each live in services/idnumbers.py."""

    MAINLAND = "mainland"  # 内地居民身份证
    HK_MACAO = "hk_macao"  # 港澳居民来往内地通行证
    TAIWAN = "taiwan"  # 台湾居民来往大陆通行证
    PASSPORT = "passport"  # 护照（外国）

    LABELS = {
        MAINLAND: "内地居民身份证",
        HK_MACAO: "港澳居民来往内地通行证",
        TAIWAN: "台湾居民来往大陆通行证",
        PASSPORT: "护照（外国）",
    }


class Account(Model):
    """会计人员账号: one per 证件号码 and one per 手机号 (unique constraints, not a read-then-write)."""

    id = fields.IntField(primary_key=True)
    id_type = fields.CharField(max_length=16)
    id_number = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=11, unique=True)
    password_hash = fields.CharField(max_length=255)
    birth_date = fields.DateField(null=True)  # derived from a mainland ID number
    gender = fields.CharField(max_length=2, null=True)  # 男 / 女, derived likewise
    wechat_openid = fields.CharField(max_length=64, null=True, unique=True)
    realname_at = fields.DatetimeField(null=True)  # 实名认证 passed at
    realname_method = fields.CharField(max_length=16, null=True)  # alipay / online
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"


class Reviewer(Model):
    """A provincial (or city) exam office's reviewer, created by `python -m cli reviewer add`."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    province_code = fields.CharField(max_length=8)
    city = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reviewer"


class Session(Model):
    """Server-side session. The cookie carries only the signed session id, and we store its SHA-256."""

    id = fields.CharField(max_length=64, primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="sessions", null=True, on_delete=fields.CASCADE)
    reviewer = fields.ForeignKeyField("models.Reviewer", related_name="sessions", null=True, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    # A reviewer's 姓名/证件号后4位 search on the board (services.review.search): kept here, never in a URL, and
    # gone with the session.
    review_search = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "session"
        indexes = (("account_id",),)


class Captcha(Model):
    """图形验证码: one live captcha per browser (keyed by the session id hash), single use."""

    sid = fields.CharField(max_length=64, primary_key=True)
    answer_hash = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "captcha"


class SmsCode(Model):
    """短信验证码, stored as an HMAC of the code, single use, 5 wrong tries at most."""

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=11, db_index=True)
    purpose = fields.CharField(max_length=16)  # register / reset
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sms_code"


class SmsThrottle(Model):
    """One row per phone asked for a code (registered or not, so that both answer alike): the time of the last
    send and the sends of its China day, both moved by one conditional update."""

    phone = fields.CharField(max_length=11, primary_key=True)
    last_sent_at = fields.DatetimeField()
    day = fields.DateField(null=True)  # the China date that sent_today counts
    sent_today = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "sms_throttle"


class RateWindow(Model):
    """A fixed-window counter shared by every process: how many times something happened (an SMS sent from one
    address) in the window that ends at `until`. One conditional update takes a place; purged after `until`."""

    key = fields.CharField(max_length=80, primary_key=True)  # what is counted, e.g. "sms-ip:203.0.113.7"
    count = fields.IntField(default=0)
    until = fields.DatetimeField(db_index=True)

    class Meta:
        table = "rate_window"


class LoginLock(Model):
    """The lock-out, per login name (a 证件号码, 手机号 or reviewer's user name, as an SHA-256): failed passwords and
    the lock they led to. Kept for names of no account too, so an unknown name answers exactly like a known one."""

    key = fields.CharField(max_length=64, primary_key=True)
    failures = fields.IntField(default=0)
    failed_at = fields.DatetimeField(db_index=True)  # the last failure
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_lock"


class LoginFailure(Model):
    """Failed logins by address, for the per-address throttle."""

    id = fields.IntField(primary_key=True)
    ip = fields.CharField(max_length=64)
    at = fields.DatetimeField()

    class Meta:
        table = "login_failure"
        indexes = (("ip", "at"),)


class WechatLogin(Model):
    """One 微信扫码登录 attempt, bound to the browser (session id hash) that showed the QR code."""

    state = fields.CharField(max_length=64, primary_key=True)
    sid = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="pending")  # pending / confirmed / cancelled / bind / done
    code = fields.CharField(max_length=64, null=True)  # authorization code from the provider
    openid = fields.CharField(max_length=64, null=True)  # set once the code is exchanged
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "wechat_login"
