from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_profile_gender_birth')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Announcement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam_province', fields.ForeignKeyField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='announcements', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('scope', fields.CharField(max_length=4)),
                ('title', fields.CharField(max_length=200)),
                ('publisher', fields.CharField(max_length=100)),
                ('published_on', fields.DateField()),
                ('body', fields.TextField(unique=False)),
            ],
            options={'table': 'announcement', 'app': 'models', 'unique_together': (('exam_province', 'position'),), 'pk_attr': 'id', 'table_description': '通知公告 of one province for one exam (省 or 市 level).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExamCity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam_province', fields.ForeignKeyField('models.ExamProvince', source_field='exam_province_id', db_constraint=True, to_field='id', related_name='cities', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=8)),
                ('name', fields.CharField(max_length=64)),
            ],
            options={'table': 'exam_city', 'app': 'models', 'unique_together': (('exam_province', 'code'),), 'pk_attr': 'id', 'table_description': '报考地市 of one province for one exam.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Site',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('city', fields.ForeignKeyField('models.ExamCity', source_field='city_id', db_constraint=True, to_field='id', related_name='sites', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('address', fields.CharField(default='', max_length=200)),
                ('capacity', fields.IntField()),
                ('taken', fields.IntField(default=0)),
            ],
            options={'table': 'site', 'app': 'models', 'unique_together': (('city', 'name'),), 'pk_attr': 'id', 'table_description': '报名点: `taken` moves only by a conditional update that checks `capacity` in the same statement.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Application',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.CASCADE)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.CASCADE)),
                ('active_key', fields.CharField(null=True, unique=True, max_length=32)),
                ('status', fields.CharField(default='draft', db_index=True, max_length=16)),
                ('province', fields.ForeignKeyField('models.ExamProvince', source_field='province_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('notice_agreed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('announcements_read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('condition', fields.CharField(null=True, max_length=32)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('subjects', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('photo', fields.CharField(null=True, max_length=80)),
                ('personal', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('commitment_signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('snapshot', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('resubmitted', fields.BooleanField(default=False)),
                ('review_reason', fields.CharField(null=True, max_length=200)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'application', 'app': 'models', 'indexes': [Index(fields=['province_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Material',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='material_files', on_delete=OnDelete.CASCADE)),
                ('item', fields.CharField(max_length=100)),
                ('stored', fields.CharField(max_length=80)),
                ('kind', fields.CharField(max_length=8)),
                ('pages', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'material', 'app': 'models', 'unique_together': (('application', 'item'),), 'pk_attr': 'id', 'table_description': "证明材料 uploaded for one item of the province's list."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='admission_ticket',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='conditions',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='department',
            field=fields.CharField(default='', max_length=100),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='fee_per_person_fen',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='fee_per_subject_fen',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='materials',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='must_read',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='notice',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='photo_rules',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='platforms',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='review_mode',
            field=fields.CharField(default='manual', max_length=16),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='tips',
            field=fields.TextField(default='', unique=False),
        ),
    ]
