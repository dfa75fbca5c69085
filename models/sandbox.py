"""What the sandbox providers keep: the SMS outbox shown at /dev/outbox, WeChat's sandbox identities."""
from tortoise import fields
from tortoise.models import Model


class SmsOutbox(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=11, db_index=True)  # /dev/outbox?phone=: one phone's messages
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


class SandboxPayment(Model):
    """The sandbox gateway's own record of a payment (modelled on a real gateway's trade): created by the
    platform's create-payment call, paid or cancelled on /dev/pay, queried and closed by the platform."""

    trade_no = fields.CharField(max_length=64, primary_key=True)
    merchant_id = fields.CharField(max_length=32)
    platform = fields.CharField(max_length=16)
    out_trade_no = fields.CharField(max_length=32, db_index=True)  # our order number
    amount_fen = fields.IntField()
    subject = fields.CharField(max_length=200)
    notify_url = fields.CharField(max_length=255)
    return_url = fields.CharField(max_length=255)
    status = fields.CharField(max_length=16, default="pending")  # pending / paid / cancelled / closed
    created_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    notify_attempts = fields.IntField(default=0)
    notified_at = fields.DatetimeField(null=True)  # when the platform answered success

    class Meta:
        table = "sandbox_payment"
