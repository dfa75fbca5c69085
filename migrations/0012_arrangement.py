# Issue 15 (考场编排): 考试场次 per exam, 考场 per 报名点 with its 考点, the 准考证打印 window and 考试须知 per province,
# and the arrangement's rows: one 准考证号 per paid application, one seat per application and session; the unique
# pairs make double seating impossible on both databases. The new columns of exam_province and site are nullable
# or carry a database default, so they are added without rebuilding a table that holds rows. (No table
# description may hold a semicolon: SQLite's script runner splits statements on it, which broke an earlier draft.)
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_session_review_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Arrangement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam_province', fields.ForeignKeyField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='arrangements', on_delete=OnDelete.CASCADE)),
                ('seed', fields.BigIntField()),
                ('forced', fields.BooleanField(default=False)),
                ('actor', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('admitted', fields.IntField(default=0)),
                ('seated', fields.IntField(default=0)),
            ],
            options={'table': 'arrangement', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One run of 考场编排 that seated someone: its seed reproduces the order it shuffled.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Admission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.OneToOneField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='admission', on_delete=OnDelete.CASCADE)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='admissions', on_delete=OnDelete.CASCADE)),
                ('exam_province', fields.ForeignKeyField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='admissions', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(max_length=24)),
                ('arrangement', fields.ForeignKeyField('models.Arrangement', source_field='arrangement_id', db_constraint=True, to_field='id', related_name='admissions', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'admission', 'app': 'models', 'unique_together': (('exam', 'number'),), 'pk_attr': 'id', 'table_description': '准考证 of one paid application, given by the arrangement that first seated it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExamSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('batch', fields.IntField(default=1)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('subjects', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'exam_session', 'app': 'models', 'unique_together': (('exam', 'number'),), 'pk_attr': 'id', 'table_description': '考试场次 of one exam: a date, start and end times, the subjects sat in it. A candidate sits every subject'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='rooms', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('seats', fields.IntField()),
            ],
            options={'table': 'exam_room', 'app': 'models', 'unique_together': (('site', 'number'),), 'pk_attr': 'id', 'table_description': '考场 of one 报名点: seats 1..seats, used by every session.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Seat',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.CASCADE)),
                ('session', fields.ForeignKeyField('models.ExamSession', source_field='session_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='assigned', on_delete=OnDelete.RESTRICT)),
                ('seat', fields.IntField()),
                ('arrangement', fields.ForeignKeyField('models.Arrangement', source_field='arrangement_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'seat', 'app': 'models', 'unique_together': (('session', 'room', 'seat'), ('application', 'session')), 'pk_attr': 'id', 'table_description': 'A seat in one room for one session, held by one application.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='exam_notice',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='ticket_end',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='ticket_start',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Site',
            name='venue',
            field=fields.CharField(default='', db_default='', max_length=100),
        ),
        ops.AddField(
            model_name='Site',
            name='venue_address',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
    ]
