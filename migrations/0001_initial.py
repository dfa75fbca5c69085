from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('id_type', fields.CharField(max_length=16)),
                ('id_number', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=64)),
                ('phone', fields.CharField(unique=True, max_length=11)),
                ('password_hash', fields.CharField(max_length=255)),
                ('birth_date', fields.DateField(null=True)),
                ('gender', fields.CharField(null=True, max_length=2)),
                ('wechat_openid', fields.CharField(null=True, unique=True, max_length=64)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account', 'app': 'models', 'pk_attr': 'id', 'table_description': '会计人员账号: one per 证件号码 and one per 手机号 (unique constraints, not a read-then-write).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Captcha',
            fields=[
                ('sid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('answer_hash', fields.CharField(max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'captcha', 'app': 'models', 'pk_attr': 'sid', 'table_description': '图形验证码: one live captcha per browser (keyed by the session id hash), single use.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Exam',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('year', fields.IntField()),
                ('name', fields.CharField(max_length=128)),
                ('level', fields.CharField(max_length=8)),
                ('subjects', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('max_subjects', fields.IntField(default=1)),
            ],
            options={'table': 'exam', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExamProvince',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('exam', fields.ForeignKeyField('models.Exam', source_field='exam_id', db_constraint=True, to_field='id', related_name='provinces', on_delete=OnDelete.CASCADE)),
                ('province_code', fields.CharField(max_length=8)),
                ('reg_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reg_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('pay_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('pay_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('phones', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('website', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'exam_province', 'app': 'models', 'unique_together': (('exam', 'province_code'),), 'pk_attr': 'id', 'table_description': "One province's registration for one exam: its windows and contacts."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ip', fields.CharField(max_length=64)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_failure', 'app': 'models', 'indexes': [Index(fields=['ip', 'at'])], 'pk_attr': 'id', 'table_description': 'Failed logins by address, for the per-address throttle.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reviewer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('province_code', fields.CharField(max_length=8)),
                ('city', fields.CharField(null=True, max_length=64)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reviewer', 'app': 'models', 'pk_attr': 'id', 'table_description': "A provincial (or city) exam office's reviewer, created by `python -m cli reviewer add`."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('reviewer', fields.ForeignKeyField('models.Reviewer', source_field='reviewer_id', null=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Server-side session. The cookie carries only the signed session id, and we store its SHA-256.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(db_index=True, max_length=11)),
                ('purpose', fields.CharField(max_length=16)),
                ('code_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sms_code', 'app': 'models', 'pk_attr': 'id', 'table_description': '短信验证码, stored as an HMAC of the code, single use, 5 wrong tries at most.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsOutbox',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('phone', fields.CharField(max_length=11)),
                ('code', fields.CharField(max_length=6)),
                ('text', fields.CharField(max_length=255)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_sms_outbox', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsThrottle',
            fields=[
                ('phone', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=11)),
                ('last_sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sms_throttle', 'app': 'models', 'pk_attr': 'phone', 'table_description': 'One row per phone: the time of the last send, moved forward by a conditional update.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WechatGrant',
            fields=[
                ('code', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('openid', fields.CharField(max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used', fields.BooleanField(default=False)),
            ],
            options={'table': 'sandbox_wechat_grant', 'app': 'models', 'pk_attr': 'code', 'table_description': "The sandbox's side of an authorization: code → openid, single use, expires like WeChat's (5 min)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WechatLogin',
            fields=[
                ('state', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('sid', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('code', fields.CharField(null=True, max_length=64)),
                ('openid', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wechat_login', 'app': 'models', 'pk_attr': 'state', 'table_description': 'One 微信扫码登录 attempt, bound to the browser (session id hash) that showed the QR code.'},
            bases=['Model'],
        ),
    ]
