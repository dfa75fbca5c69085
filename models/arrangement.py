"""考场编排 (services.arrangement): the 准考证号 of a paid application and its seats, one per session.

准考证号: 20 digits, given once per application and never changed while it stays paid:

    YYYY L PP CCCC SS NN RRR ZZ
    │    │ │  │    │  │  │   └ 座位号 (seat) of the candidate's first session, 2 digits
    │    │ │  │    │  │  └ 考场号 (room number) of that seat, 3 digits
    │    │ │  │    │  └ 场次 (ExamSession.number) of the candidate's first session, 2 digits
    │    │ │  │    └ 报名点: the site's position in its city (1, 2, ... in the seed file), 2 digits
    │    │ │  └ 地市: digits 3 to 6 of the city code (110105 gives 0105)
    │    │ └ 省: the province code
    │    └ 级别: 1 初级, 2 中级, 3 高级
    └ 考试年度

It is unique in the exam because one seat (session, room, seat) is held by one application; the unique
(exam, number) pair makes sure of it.

Rows, fields:
- Admission: application (one to one), exam, exam_province, number (准考证号), arrangement (the run that gave it).
- Seat: application, session (ExamSession), room (Room), seat (座位号 1..room.seats), arrangement.
  Unique (session, room, seat) and (application, session): double seating is impossible by the schema.
- Arrangement: one run of 考场编排 that seated someone: exam_province, seed (random.Random(seed) shuffled the
  order of that run's candidates inside each site), forced (run while 缴费 was still open), actor, at,
  admitted (准考证号 given), seated (seats given).
"""
from tortoise import fields
from tortoise.models import Model


class Admission(Model):
    """准考证 of one paid application, given by the arrangement that first seated it."""

    id = fields.IntField(primary_key=True)
    application = fields.OneToOneField("models.Application", related_name="admission", on_delete=fields.CASCADE)
    exam = fields.ForeignKeyField("models.Exam", related_name="admissions", on_delete=fields.CASCADE)
    exam_province = fields.ForeignKeyField("models.ExamProvince", related_name="admissions", on_delete=fields.CASCADE)
    number = fields.CharField(max_length=24)  # 准考证号 (format above)
    arrangement = fields.ForeignKeyField("models.Arrangement", related_name="admissions", on_delete=fields.RESTRICT)

    class Meta:
        table = "admission"
        unique_together = (("exam", "number"),)


class Seat(Model):
    """A seat in one room for one session, held by one application."""

    id = fields.IntField(primary_key=True)
    application = fields.ForeignKeyField("models.Application", related_name="seats", on_delete=fields.CASCADE)
    session = fields.ForeignKeyField("models.ExamSession", related_name="seats", on_delete=fields.CASCADE)
    room = fields.ForeignKeyField("models.Room", related_name="assigned", on_delete=fields.RESTRICT)
    seat = fields.IntField()  # 座位号, 1..room.seats
    arrangement = fields.ForeignKeyField("models.Arrangement", related_name="seats", on_delete=fields.RESTRICT)

    class Meta:
        table = "seat"
        unique_together = (("session", "room", "seat"), ("application", "session"))


class Arrangement(Model):
    """One run of 考场编排 that seated someone: its seed reproduces the order it shuffled."""

    id = fields.IntField(primary_key=True)
    exam_province = fields.ForeignKeyField("models.ExamProvince", related_name="arrangements",
                                           on_delete=fields.CASCADE)
    seed = fields.BigIntField()
    forced = fields.BooleanField(default=False)  # run while 缴费 was still open
    actor = fields.CharField(max_length=64)
    at = fields.DatetimeField()
    admitted = fields.IntField(default=0)  # 准考证号 given
    seated = fields.IntField(default=0)  # seats given

    class Meta:
        table = "arrangement"
