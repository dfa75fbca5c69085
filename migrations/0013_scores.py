# Issue 16 (成绩): the scores the office imports (one per application and subject, in tenths of a point), the
# import batches kept between the preview and the confirmation, and the publication time per exam and province.
# Three new tables and nothing else: a database holding rows takes them without rebuilding any table. (No table
# description may hold a semicolon: SQLite's script runner splits statements on it.)
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_arrangement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ScoreImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(unique=True, max_length=32)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='score_imports', on_delete=OnDelete.CASCADE)),
                ('province_code', fields.CharField(null=True, max_length=8)),
                ('filename', fields.CharField(default='', max_length=200)),
                ('content', fields.TextField(unique=False)),
                ('status', fields.CharField(default='preview', max_length=16)),
                ('summary', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'score_import', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One uploaded score file of one exam: its text kept between the preview and the confirmation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Score',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='scores', on_delete=OnDelete.CASCADE)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='scores', on_delete=OnDelete.CASCADE)),
                ('exam_province', fields.ForeignKeyField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='scores', on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(max_length=64)),
                ('tenths', fields.IntField()),
                ('batch', fields.ForeignKeyField('models.ScoreImport', source_field='batch_id', db_constraint=True, to_field='id', related_name='scores', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'score', 'app': 'models', 'unique_together': (('application', 'subject'),), 'indexes': [Index(fields=['exam_province_id', 'subject'])], 'pk_attr': 'id', 'table_description': 'The score of one application in one subject, in tenths of a point (87.5 is 875).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScoreRelease',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam_province', fields.OneToOneField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='score_release', on_delete=OnDelete.CASCADE)),
                ('published_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('set_by', fields.CharField(max_length=64)),
                ('set_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'score_release', 'app': 'models', 'pk_attr': 'id', 'table_description': '成绩发布 of one exam in one province: candidates see their scores from `published_at` on.'},
            bases=['Model'],
        ),
    ]
