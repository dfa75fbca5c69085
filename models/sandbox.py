"""What the sandbox providers keep: the SMS outbox shown at /dev/outbox, WeChat's sandbox identities."""
from tortoise import fields
from tortoise.models import Model


class SmsOutbox(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=11)
    code = fields.CharField(max_length=6)
    text = fields.CharField(max_length=255)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_sms_outbox"


class WechatGrant(Model):
    """The sandbox's side of an authorization: code → openid, single use, expires like WeChat's (5 min)."""

    code = fields.CharField(max_length=64, primary_key=True)
    openid = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    used = fields.BooleanField(default=False)

    class Meta:
        table = "sandbox_wechat_grant"


class AlipayCertification(Model):
    """The sandbox's side of 支付宝实名认证 (modelled on alipay.user.certify.open.*): a certify id that the
    scan page passes with 确认授权, queried by the platform, expiring after 10 minutes."""

    certify_id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=64)
    id_number = fields.CharField(max_length=32)
    passed = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_alipay_certification"
