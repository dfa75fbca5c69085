"""成绩 (services.scores): the scores the exam office imports, the import batches, and when a province's scores
are published to its candidates.

Rows, fields:
- Score: one subject's score of one application (unique application + subject), in tenths of a point
  (`tenths`, 0..1000: 87.5 is 875; a score has at most one decimal), with the exam and province copied for the
  office's reads, and the import batch that last set it.
- ScoreImport: one uploaded file (CSV of 准考证号, 科目, 成绩) of one exam, for one province or (the CLI without
  --province) for every province of the exam. Kept server-side between the preview and the confirmation: the
  decoded text is in `content`, the random `token` names it in the board's URLs. status: preview → confirmed
  (by one conditional update, in the transaction that stores the scores), or preview → superseded.
- ScoreRelease: 成绩发布 of one exam in one province: `published_at`, the time the office set. Before it no
  candidate sees any score of that province's exam; once `published_at <= now` they all do.
"""
from tortoise import fields
from tortoise.models import Model


class Score(Model):
    """The score of one application in one subject, in tenths of a point (87.5 is 875)."""

    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="scores", on_delete=fields.CASCADE)
    exam = fields.ForeignKeyField("models.Exam", related_name="scores", on_delete=fields.CASCADE)
    exam_province = fields.ForeignKeyField("models.ExamProvince", related_name="scores", on_delete=fields.CASCADE)
    subject = fields.CharField(max_length=64)  # 科目, as in Exam.subjects
    tenths = fields.IntField()  # 0..1000
    batch = fields.ForeignKeyField("models.ScoreImport", related_name="scores", on_delete=fields.RESTRICT)

    class Meta:
        table = "score"
        unique_together = (("application", "subject"),)
        indexes = (("exam_province_id", "subject"),)


class ScoreImport(Model):
    """One uploaded score file of one exam: its text kept between the preview and the confirmation."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=32, unique=True)  # random, names the batch in the board's URLs
    exam = fields.ForeignKeyField("models.Exam", related_name="score_imports", on_delete=fields.CASCADE)
    province_code = fields.CharField(max_length=8, null=True)  # None: every province of the exam (the CLI)
    filename = fields.CharField(max_length=200, default="")
    content = fields.TextField()  # the file as decoded text
    status = fields.CharField(max_length=16, default="preview")  # preview / confirmed / superseded
    summary = fields.JSONField(default=dict)  # the preview's counts, compared again at confirmation
    actor = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "score_import"


class ScoreRelease(Model):
    """成绩发布 of one exam in one province: candidates see their scores from `published_at` on."""

    id = fields.IntField(primary_key=True)
    exam_province = fields.OneToOneField("models.ExamProvince", related_name="score_release",
                                         on_delete=fields.CASCADE)
    published_at = fields.DatetimeField()
    set_by = fields.CharField(max_length=64)
    set_at = fields.DatetimeField()

    class Meta:
        table = "score_release"
