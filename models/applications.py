"""An exam registration (报名) of one candidate for one exam: the wizard's draft, then the submitted snapshot."""
from tortoise import fields
from tortoise.models import Model

from models.snapshot import Snapshot


class Status:
    DRAFT = "draft"  # filling in the wizard
    SUBMITTED = "submitted"  # 待审核
    APPROVED = "approved"  # 审核通过
    REJECTED = "rejected"  # 审核未通过
    WITHDRAWN = "withdrawn"  # 已撤销 (重新报名): kept, never deleted
    PAID = "paid"  # 报名成功

    LABELS = {DRAFT: "填写中", SUBMITTED: "待审核", APPROVED: "审核通过", REJECTED: "审核未通过", WITHDRAWN: "已撤销",
              PAID: "报名成功"}


class Application(Model):
    id = fields.IntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="applications", on_delete=fields.CASCADE)
    exam = fields.ForeignKeyField("models.Exam", related_name="applications", on_delete=fields.CASCADE)
    # One active application per candidate per exam: "account:exam" while active, NULL once withdrawn.
    # A unique column that allows many NULLs works the same on SQLite and PostgreSQL.
    active_key = fields.CharField(max_length=32, null=True, unique=True)
    status = fields.CharField(max_length=16, default=Status.DRAFT, db_index=True)
    province = fields.ForeignKeyField("models.ExamProvince", related_name="applications", null=True,
                                      on_delete=fields.RESTRICT)
    notice_agreed_at = fields.DatetimeField(null=True)  # 阅读须知: 完全同意
    announcements_read_at = fields.DatetimeField(null=True)  # 通知公告: 已阅读并知晓
    condition = fields.CharField(max_length=32, null=True)  # 报考条件 code
    site = fields.ForeignKeyField("models.Site", related_name="applications", null=True, on_delete=fields.RESTRICT)
    subjects = fields.JSONField(default=list)  # 报名科目
    photo = fields.CharField(max_length=80, null=True)  # 个人照片 (stored upload name)
    pending_photo = fields.CharField(max_length=80, null=True)  # adjusted by the server, waiting for 使用此照片
    personal = fields.JSONField(default=dict)  # 基本/学历/学位/工作信息 as edited here (the record is not rewritten)
    info_done = fields.BooleanField(default=False, db_default=False)  # 报名信息填写 saved with every field valid
    materials_done = fields.BooleanField(default=False, db_default=False)  # 证明材料上传: every required item uploaded, 下一步 taken
    # Bumped by every change of the draft, in the same conditional update: 提交 takes its snapshot at one
    # version and moves the application only if it is still at that version (services.registration.drafts).
    version = fields.IntField(default=0, db_default=0)
    commitment_signed_at = fields.DatetimeField(null=True)  # 告知承诺
    submitted_at = fields.DatetimeField(null=True)
    snapshot = fields.JSONField(null=True)  # what reviewers see and the form prints: fixed at submission
    resubmitted = fields.BooleanField(default=False)  # 重新提交 after a rejection
    review_reason = fields.CharField(max_length=200, null=True)
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by = fields.CharField(max_length=64, null=True)  # the reviewer's username (or 系统 for 告知承诺)
    # Copied at submission for the reviewers' queue: its filters and search run on this table alone.
    city_code = fields.CharField(max_length=8, null=True)
    cand_name = fields.CharField(max_length=64, null=True)
    id_last4 = fields.CharField(max_length=4, null=True)
    photo_flag = fields.CharField(max_length=200, null=True)  # what the automatic photo check found, if anything
    form_code = fields.CharField(max_length=24, null=True, unique=True)  # 报名表 verification code (/verify/...)
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    @property
    def submission(self) -> Snapshot | None:
        """The snapshot taken at 提交 (None before the first submission)."""
        return Snapshot.from_json(self.snapshot) if self.snapshot else None

    class Meta:
        table = "application"
        indexes = (("province_id", "status", "submitted_at"), ("province_id", "city_code", "status"),
                   ("province_id", "id_last4"), ("account_id",))


class Material(Model):
    """证明材料 uploaded for one item of the province's list."""

    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="material_files", on_delete=fields.CASCADE)
    item = fields.CharField(max_length=100)  # the item's name in the province's list
    stored = fields.CharField(max_length=80)
    kind = fields.CharField(max_length=8)  # pdf / jpg / png
    pages = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "material"
        unique_together = (("application", "item"),)
