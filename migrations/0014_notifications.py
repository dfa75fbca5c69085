# Issue 16 (notifications): one 消息 per application, event and ref (the unique key: an event reaches a candidate
# once whatever the number of processes recording it) with its SMS's state, each attempt at sending it, and the
# candidates' choice about the optional reminders. Three new tables and nothing else, so a database holding rows
# takes them without rebuilding a table. (No table description may hold a semicolon: SQLite's script runner splits
# statements on it.)
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_scores')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('application', fields.ForeignKeyField('models.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('event', fields.CharField(max_length=24)),
                ('ref', fields.IntField(default=0)),
                ('title', fields.CharField(max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('sms_text', fields.CharField(max_length=70)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sms_status', fields.CharField(default='pending', max_length=16)),
                ('sms_attempts', fields.IntField(default=0)),
                ('sms_next_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sms_last_error', fields.CharField(null=True, max_length=200)),
                ('sms_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'models', 'unique_together': (('application', 'event', 'ref'),), 'indexes': [Index(fields=['account_id', 'read_at']), Index(fields=['sms_status', 'sms_next_at'])], 'pk_attr': 'id', 'table_description': '消息 of one application and event, with its SMS: one row per application, event and ref.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSetting',
            fields=[
                ('account', fields.OneToOneField('models.Account', source_field='account_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='notification_setting', on_delete=OnDelete.CASCADE)),
                ('reminders_off', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification_setting', 'app': 'models', 'pk_attr': 'account_id', 'table_description': 'Whether a candidate switched off the optional reminders.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SmsAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('models.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ok', fields.BooleanField()),
                ('error', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'notification_sms_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': "Each try at sending a notification SMS and the provider's answer."},
            bases=['Model'],
        ),
    ]
