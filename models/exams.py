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

    class Meta:
        table = "exam_province"
        unique_together = (("exam", "province_code"),)
