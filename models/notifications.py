"""消息 and their SMS (issue 16): what the platform told a candidate about one application, once per event.

One row per (application, event, ref): the unique key makes an event reach a candidate once whatever the number
of processes recording it (the second insert is refused by the database). `ref` tells apart the occurrences of
an event that can happen more than once to one application: the review log row of a decision (rejected, then
resubmitted and rejected again), the order that closed; it is 0 for the events that happen once.
"""
from tortoise import fields
from tortoise.models import Model


class Event:
    APPROVED = "approved"  # 审核通过
    REJECTED = "rejected"  # 审核不通过
    PAYMENT_DUE = "payment_due"  # 缴费即将截止 (optional reminder)
    ORDER_CLOSED = "order_closed"  # 订单已关闭
    TICKET_OPEN = "ticket_open"  # 准考证可打印 (optional reminder)
    SCORES_PUBLISHED = "scores_published"  # 成绩已发布

    OPTIONAL = (PAYMENT_DUE, TICKET_OPEN)  # the reminders a candidate may switch off; never a review's outcome
    LABELS = {APPROVED: "审核通过", REJECTED: "审核不通过", PAYMENT_DUE: "缴费即将截止", ORDER_CLOSED: "订单已关闭",
              TICKET_OPEN: "准考证可打印", SCORES_PUBLISHED: "成绩已发布"}


class SmsStatus:
    PENDING = "pending"  # to send (now, or at sms_next_at after a failure)
    SENDING = "sending"  # claimed by one sender until sms_next_at (a sender that died is taken over after it)
    SENT = "sent"
    FAILED = "failed"  # the provider refused every attempt: the office sees each one on the detail

    LABELS = {PENDING: "待发送", SENDING: "发送中", SENT: "已发送", FAILED: "发送失败"}


class Notification(Model):
    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="notifications",
                                         on_delete=fields.CASCADE)
    account = fields.ForeignKeyField("models.Account", related_name="notifications", on_delete=fields.CASCADE)
    event = fields.CharField(max_length=24)
    ref = fields.IntField(default=0)
    title = fields.CharField(max_length=64)  # the 消息's title
    body = fields.TextField()  # the 消息's text (may be longer than the SMS: the full reason of a rejection)
    sms_text = fields.CharField(max_length=70)  # at most 70 characters: one SMS
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)  # opened on the 消息 page
    sms_status = fields.CharField(max_length=16, default=SmsStatus.PENDING)
    sms_attempts = fields.IntField(default=0)
    sms_next_at = fields.DatetimeField(null=True)  # pending: not before; sending: the claim's end
    sms_last_error = fields.CharField(max_length=200, null=True)
    sms_sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        table_description = "消息 of one application and event, with its SMS: one row per application, event and ref."
        unique_together = (("application", "event", "ref"),)
        indexes = (("account_id", "read_at"), ("sms_status", "sms_next_at"))


class SmsAttempt(Model):
    """One try at sending a notification's SMS, as the provider answered it (the office's record)."""

    id = fields.IntField(primary_key=True)
    notification = fields.ForeignKeyField("models.Notification", related_name="attempts", on_delete=fields.CASCADE)
    at = fields.DatetimeField()
    ok = fields.BooleanField()
    error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "notification_sms_attempt"
        table_description = "Each try at sending a notification SMS and the provider's answer."


class NotificationSetting(Model):
    """A candidate's choice about the optional reminders (缴费即将截止, 准考证可打印); no row: they are on."""

    account = fields.OneToOneField("models.Account", related_name="notification_setting", primary_key=True,
                                   on_delete=fields.CASCADE)
    reminders_off = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "notification_setting"
        table_description = "Whether a candidate switched off the optional reminders."
