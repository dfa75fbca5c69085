# Issue 12 (opening day): the lookups every journey makes by a foreign key had no index (Tortoise does not index a
# ForeignKeyField), so each was a scan of the whole table: a candidate's applications (首页, 选择考试, 进入, the
# access check of /files, passed levels), 学历信息, 实名认证 requests, an application's orders (缴费, 报名成功), and
# the sessions ended at a password reset. With a few thousand candidates in the journey benchmark that already
# showed in the CPU per request; with millions on opening day it would have been the whole of it. Indexes only:
# no table is rebuilt. And the sandbox outbox's index by phone, which 0010 asked for with AlterField(db_index=True):
# Tortoise changed the field's state and created no index, on either database.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0014_notifications')]

    initial = False

    operations = [
        ops.AddIndex(model_name='Application', index=Index(fields=['account_id'])),
        ops.AddIndex(model_name='Education', index=Index(fields=['account_id'])),
        ops.AddIndex(model_name='RealnameRequest', index=Index(fields=['account_id'])),
        ops.AddIndex(model_name='Order', index=Index(fields=['application_id'])),
        ops.AddIndex(model_name='Session', index=Index(fields=['account_id'])),
        ops.RunSQL('CREATE INDEX IF NOT EXISTS "idx_sandbox_sms_phone" ON "sandbox_sms_outbox" ("phone")',
                   'DROP INDEX IF EXISTS "idx_sandbox_sms_phone"'),
    ]
