from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_application_pending_photo')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.CASCADE)),
                ('open_key', fields.IntField(null=True, unique=True)),
                ('amount_fen', fields.IntField()),
                ('status', fields.CharField(default='open', db_index=True, max_length=8)),
                ('platform', fields.CharField(null=True, max_length=16)),
                ('trade_no', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_order', 'app': 'models', 'indexes': [Index(fields=['status', 'expires_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentNotification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('order_number', fields.CharField(default='', max_length=64)),
                ('amount_fen', fields.IntField(null=True)),
                ('trade_no', fields.CharField(default='', max_length=64)),
                ('outcome', fields.CharField(max_length=16)),
                ('detail', fields.CharField(default='', max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notification', 'app': 'models', 'indexes': [Index(fields=['outcome', 'id'])], 'pk_attr': 'id', 'table_description': 'Every notification received, matched or not: the 对账 view lists the ones that did not match.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewLog',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='review_log', on_delete=OnDelete.CASCADE)),
                ('reviewer', fields.ForeignKeyField('models.Reviewer', source_field='reviewer_id', null=True, db_constraint=True, to_field='id', related_name='review_log', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(max_length=64)),
                ('action', fields.CharField(max_length=16)),
                ('from_status', fields.CharField(null=True, max_length=16)),
                ('to_status', fields.CharField(max_length=16)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'review_log', 'app': 'models', 'indexes': [Index(fields=['application_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One row per event: 提交, 重新提交, 通过, 不通过, 撤销 (重新报名), 缴费 ... with who, when and the reason.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxPayment',
            fields=[
                ('trade_no', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('merchant_id', fields.CharField(max_length=32)),
                ('platform', fields.CharField(max_length=16)),
                ('out_trade_no', fields.CharField(db_index=True, max_length=32)),
                ('amount_fen', fields.IntField()),
                ('subject', fields.CharField(max_length=200)),
                ('notify_url', fields.CharField(max_length=255)),
                ('return_url', fields.CharField(max_length=255)),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('notify_attempts', fields.IntField(default=0)),
                ('notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_payment', 'app': 'models', 'pk_attr': 'trade_no', 'table_description': "The sandbox gateway's own record of a payment (modelled on a real gateway's trade): created by the"},
            bases=['Model'],
        ),
        ops.RemoveIndex(
            model_name='Application',
            name=None,
            fields=['province_id', 'status'],
        ),
        ops.AddField(
            model_name='Application',
            name='cand_name',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Application',
            name='city_code',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='Application',
            name='form_code',
            field=fields.CharField(null=True, unique=True, max_length=24),
        ),
        ops.AddField(
            model_name='Application',
            name='id_last4',
            field=fields.CharField(null=True, max_length=4),
        ),
        ops.AddField(
            model_name='Application',
            name='paid_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Application',
            name='photo_flag',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Application',
            name='reviewed_by',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['province_id', 'status', 'submitted_at']),
        ),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['province_id', 'city_code', 'status']),
        ),
        ops.AddIndex(
            model_name='Application',
            index=Index(fields=['province_id', 'id_last4']),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='photo_check',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='ExamProvince',
            name='reject_reasons',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        # Applications submitted before this migration: the queue's copied columns, from the rows they came from.
        ops.RunSQL(
            'UPDATE "application" SET '
            '"city_code" = (SELECT c."code" FROM "site" s JOIN "exam_city" c ON c."id" = s."city_id" '
            'WHERE s."id" = "application"."site_id"), '
            '"cand_name" = (SELECT a."name" FROM "account" a WHERE a."id" = "application"."account_id"), '
            '"id_last4" = (SELECT substr(a."id_number", length(a."id_number") - 3) FROM "account" a '
            'WHERE a."id" = "application"."account_id") '
            'WHERE "submitted_at" IS NOT NULL',
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
