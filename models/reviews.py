"""The append-only review log: every decision and every submission of an application, never updated."""
from tortoise import fields
from tortoise.models import Model


class ReviewLog(Model):
    """One row per event: 提交, 重新提交, 通过, 不通过, 撤销 (重新报名), 缴费 ... with who, when and the reason."""

    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="review_log", on_delete=fields.CASCADE)
    reviewer = fields.ForeignKeyField("models.Reviewer", related_name="review_log", null=True,
                                      on_delete=fields.SET_NULL)
    actor = fields.CharField(max_length=64)  # the reviewer's username, or 考生 / 系统
    action = fields.CharField(max_length=16)  # submit / resubmit / approve / reject / withdraw / paid
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=200, null=True)
    at = fields.DatetimeField()

    @classmethod
    async def record(cls, application_id: int, action: str, from_status: str | None, to_status: str, at, *,
                     actor: str = "考生", reviewer_id: int | None = None, reason: str | None = None) -> "ReviewLog":
        """Append an event (the log is never updated): the reviewers' detail view shows it as the history."""
        return await cls.create(application_id=application_id, action=action, from_status=from_status,
                                to_status=to_status, at=at, actor=actor, reviewer_id=reviewer_id, reason=reason)

    class Meta:
        table = "review_log"
        indexes = (("application_id", "id"),)
