"""Exams as maintainers seed them (`python -m cli seed FILE`): an exam year of one 级别, per province."""
from tortoise import fields
from tortoise.models import Model


class Exam(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)  # natural key from the TOML file, e.g. 2027-chuji
    year = fields.IntField()
    name = fields.CharField(max_length=128)  # 考试名称
    level = fields.CharField(max_length=8)  # 级别: 初级 / 中级 / 高级
    subjects = fields.JSONField(default=list)  # 科目
    max_subjects = fields.IntField(default=1)  # how many subjects a candidate may take at once

    class Meta:
        table = "exam"


class ExamProvince(Model):
    """One province's registration for one exam: its windows and contacts."""

    id = fields.IntField(primary_key=True)
    exam = fields.ForeignKeyField("models.Exam", related_name="provinces", on_delete=fields.CASCADE)
    province_code = fields.CharField(max_length=8)
    reg_start = fields.DatetimeField()  # 报名时间
    reg_end = fields.DatetimeField()
    pay_start = fields.DatetimeField()  # 缴费时间
    pay_end = fields.DatetimeField()
    phones = fields.JSONField(default=list)  # 咨询电话: [{"label": ..., "number": ...}]
    website = fields.CharField(max_length=255, default="")  # 通知网站
    review_mode = fields.CharField(max_length=16, default="manual")  # manual: 网上人工审核, commitment: 告知承诺
    department = fields.CharField(max_length=100, default="")  # 受理部门
    tips = fields.TextField(default="")  # 办理提示
    notice = fields.TextField(default="")  # 阅读须知
    must_read = fields.TextField(default="")  # 报考人员必读事项
    fee_per_person_fen = fields.IntField(default=0)  # 收费标准, in fen
    fee_per_subject_fen = fields.IntField(default=0)
    platforms = fields.JSONField(default=list)  # 支付平台 offered
    conditions = fields.JSONField(default=list)  # 报考条件 codes offered (services.eligibility)
    materials = fields.JSONField(default=list)  # 证明材料: [{"name", "required", "conditions", "types"}]
    photo_rules = fields.JSONField(null=True)  # the province's own photo rules, if any
    admission_ticket = fields.CharField(max_length=100, default="")  # 准考证打印时间
    reject_reasons = fields.JSONField(default=list)  # the reviewers' 不通过 reason templates
    photo_check = fields.BooleanField(default=False)  # automatic photo check flags photos for review
    ticket_start = fields.DatetimeField(null=True)  # 准考证打印 window (None: not announced yet)
    ticket_end = fields.DatetimeField(null=True)
    exam_notice = fields.TextField(default="", db_default="")  # 考试须知, printed on the 准考证

    class Meta:
        table = "exam_province"
        unique_together = (("exam", "province_code"),)


class Announcement(Model):
    """通知公告 of one province for one exam (省 or 市 level)."""

    id = fields.IntField(primary_key=True)
    exam_province = fields.ForeignKeyField("models.ExamProvince", related_name="announcements",
                                           on_delete=fields.CASCADE)
    position = fields.IntField()  # order in the seed file, the natural key with exam_province
    scope = fields.CharField(max_length=4)  # 省 / 市
    title = fields.CharField(max_length=200)
    publisher = fields.CharField(max_length=100)
    published_on = fields.DateField()
    body = fields.TextField()

    class Meta:
        table = "announcement"
        unique_together = (("exam_province", "position"),)


class ExamCity(Model):
    """报考地市 of one province for one exam."""

    id = fields.IntField(primary_key=True)
    exam_province = fields.ForeignKeyField("models.ExamProvince", related_name="cities", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=8)
    name = fields.CharField(max_length=64)

    class Meta:
        table = "exam_city"
        unique_together = (("exam_province", "code"),)


class Site(Model):
    """报名点: `taken` moves only by a conditional update that checks `capacity` in the same statement."""

    id = fields.IntField(primary_key=True)
    city = fields.ForeignKeyField("models.ExamCity", related_name="sites", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200, default="")
    capacity = fields.IntField()
    taken = fields.IntField(default=0)
    # 考点 where the site's candidates sit, printed on the 准考证 (seeding defaults them to the site's own)
    venue = fields.CharField(max_length=100, default="", db_default="")
    venue_address = fields.CharField(max_length=200, default="", db_default="")

    class Meta:
        table = "site"
        unique_together = (("city", "name"),)


class ExamSession(Model):
    """考试场次 of one exam: a date, start and end times, the subjects sat in it. A candidate sits every subject
    of theirs in the sessions of one 批次 (batch)."""

    id = fields.IntField(primary_key=True)
    exam = fields.ForeignKeyField("models.Exam", related_name="sessions", on_delete=fields.CASCADE)
    number = fields.IntField()  # position in the seed file (1, 2, ...), the natural key with exam
    batch = fields.IntField(default=1)  # 批次
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    subjects = fields.JSONField(default=list)

    class Meta:
        table = "exam_session"
        unique_together = (("exam", "number"),)


class Room(Model):
    """考场 of one 报名点: seats 1..seats, used by every session."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("models.Site", related_name="rooms", on_delete=fields.CASCADE)
    number = fields.IntField()  # 考场号, 1..999
    seats = fields.IntField()  # 1..99

    class Meta:
        table = "exam_room"
        unique_together = (("site", "number"),)
