"""网上缴费: orders of an approved application and the gateway's notifications about them."""
from tortoise import fields
from tortoise.models import Model


class OrderStatus:
    OPEN = "open"  # 待支付
    PAID = "paid"  # 已支付
    CLOSED = "closed"  # 已关闭 (timed out, or the payment window ended)

    LABELS = {OPEN: "待支付", PAID: "已支付", CLOSED: "已关闭"}


class Order(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)  # 订单号码, e.g. 20271130-11-7F3K9Q2M
    application = fields.ForeignKeyField("models.Application", related_name="orders", on_delete=fields.CASCADE)
    # At most one open order per application: the application id while open, NULL once paid or closed.
    open_key = fields.IntField(null=True, unique=True)
    amount_fen = fields.IntField()  # 订单金额, computed by the server
    status = fields.CharField(max_length=8, default=OrderStatus.OPEN, db_index=True)
    platform = fields.CharField(max_length=16, null=True)  # 支付平台 chosen at 支付
    trade_no = fields.CharField(max_length=64, null=True)  # the gateway's transaction id
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_order"
        indexes = (("status", "expires_at"), ("application_id",))


class PaymentNotification(Model):
    """Every notification received, matched or not: the 对账 view lists the ones that did not match."""

    id = fields.IntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="notifications", null=True, on_delete=fields.SET_NULL)
    order_number = fields.CharField(max_length=64, default="")
    amount_fen = fields.IntField(null=True)
    trade_no = fields.CharField(max_length=64, default="")
    # paid: marked the order paid; duplicate: it was paid already; late_paid: paid for a closed order
    # (kept for reconciliation); rejected: bad signature, unknown order, wrong amount or merchant.
    outcome = fields.CharField(max_length=16)
    detail = fields.CharField(max_length=200, default="")
    body = fields.TextField()  # the raw notification as received
    # The gateway's trade id on a late_paid row, NULL otherwise: 对账 lists each late payment once, even when
    # its notification arrives several times at once.
    late_key = fields.CharField(max_length=64, null=True, unique=True)
    received_at = fields.DatetimeField()

    class Meta:
        table = "payment_notification"
        indexes = (("outcome", "id"),)
