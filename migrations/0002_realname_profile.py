from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlipayAttempt',
            fields=[
                ('certify_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='alipay_attempts', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alipay_attempt', 'app': 'models', 'pk_attr': 'certify_id', 'table_description': "支付宝实名认证 started by this account: the provider's certify id, polled until it passes."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlipayCertification',
            fields=[
                ('certify_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('name', fields.CharField(max_length=64)),
                ('id_number', fields.CharField(max_length=32)),
                ('passed', fields.BooleanField(default=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_alipay_certification', 'app': 'models', 'pk_attr': 'certify_id', 'table_description': "The sandbox's side of 支付宝实名认证 (modelled on alipay.user.certify.open.*): a certify id that the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Education',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='educations', on_delete=OnDelete.CASCADE)),
                ('level', fields.CharField(max_length=16)),
                ('school', fields.CharField(max_length=60)),
                ('major', fields.CharField(max_length=60)),
                ('graduated_on', fields.DateField()),
                ('certificate_no', fields.CharField(max_length=40)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'education', 'app': 'models', 'pk_attr': 'id', 'table_description': '学历信息: more than one entry allowed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Profile',
            fields=[
                ('account', fields.OneToOneField('models.Account', source_field='account_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='profile', on_delete=OnDelete.CASCADE)),
                ('photo', fields.CharField(null=True, max_length=80)),
                ('ethnicity', fields.CharField(null=True, max_length=16)),
                ('political_status', fields.CharField(null=True, max_length=16)),
                ('address', fields.CharField(null=True, max_length=100)),
                ('postcode', fields.CharField(null=True, max_length=6)),
                ('email', fields.CharField(null=True, max_length=100)),
                ('basic_saved', fields.BooleanField(default=False)),
                ('degree', fields.CharField(null=True, max_length=8)),
                ('degree_org', fields.CharField(null=True, max_length=60)),
                ('degree_date', fields.DateField(null=True)),
                ('no_employer', fields.BooleanField(default=False)),
                ('employer', fields.CharField(null=True, max_length=100)),
                ('employer_province', fields.CharField(null=True, max_length=8)),
                ('employer_city', fields.CharField(null=True, max_length=8)),
                ('accounting_start', fields.DateField(null=True)),
                ('position', fields.CharField(null=True, max_length=30)),
                ('work_saved', fields.BooleanField(default=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'profile', 'app': 'models', 'pk_attr': 'account_id', 'table_description': '信息采集: one record per account, saved section by section so nothing typed is lost.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RealnameRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='realname_requests', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('province_code', fields.CharField(max_length=8)),
                ('city_code', fields.CharField(max_length=8)),
                ('front', fields.CharField(max_length=80)),
                ('back', fields.CharField(max_length=80)),
                ('handheld', fields.CharField(max_length=80)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('decided_by', fields.CharField(null=True, max_length=64)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'realname_request', 'app': 'models', 'pk_attr': 'id', 'table_description': '线上实名认证: three ID images waiting for a reviewer. Alipay verification needs no row here.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='realname_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='realname_method',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
