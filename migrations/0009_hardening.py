from datetime import datetime, timezone

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Issue 11 (hardening):
# - login_lock: the lock-out moves from the account and reviewer rows to one row per login name, kept for names of no
#   account too (the same answers for an unknown name). The failure counts and locks in force at the upgrade (ten
#   minutes at most) are not carried over.
# - rate_window, sms_throttle.day / sent_today: SMS limits per address and per phone and China day.
# - realname_request.pending_key: one pending 实名认证 request per account, enforced by a unique column. Existing
#   rows: each account's newest pending request keeps waiting; older pending duplicates (left by requests submitted
#   at once) are closed as rejected by 系统, so that the unique column can hold.
# - On SQLite, removing a column rebuilds the table: db.migrate runs migrations with foreign keys off, so that the
#   rebuild of `account` does not cascade into the rows referring to it.
DUPLICATE = "同一账号有多份待审核申请，已保留最新提交的一份"


async def one_pending_request_per_account(apps, schema_editor):
    """Plain ORM reads and updates on the migration's connection: the same on SQLite and PostgreSQL."""
    RealnameRequest = apps.get_model("models", "RealnameRequest")
    db, now, waiting = schema_editor.client, datetime.now(timezone.utc), set()
    for request_id, account_id in await (RealnameRequest.filter(status="pending").order_by("-id").using_db(db)
                                         .values_list("id", "account_id")):
        if account_id in waiting:
            await RealnameRequest.filter(id=request_id).using_db(db).update(
                status="rejected", reason=DUPLICATE, decided_by="系统", decided_at=now)
        else:
            waiting.add(account_id)
            await RealnameRequest.filter(id=request_id).using_db(db).update(pending_key=account_id)


async def keep_the_requests_as_they_are(apps, schema_editor):
    """Backwards: the column goes away; the duplicates closed on the way up stay closed."""


class RemoveColumn(ops.RemoveField):
    """RemoveField whose way back adds the column with a database default: Tortoise's own way back adds the NOT
    NULL column of 0001 (a default in Python only), which SQLite refuses on a table with rows."""

    def __init__(self, model_name: str, name: str, table: str, back: dict[str, str]):
        super().__init__(model_name=model_name, name=name)
        self.table, self.back = table, back  # dialect → the column's definition

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            await state_editor.client.execute_script(
                f'ALTER TABLE "{self.table}" ADD COLUMN "{self.name}" {self.back[state_editor.DIALECT]}')


FAILED_LOGINS = {"sqlite": "INT NOT NULL DEFAULT 0", "postgres": "INT NOT NULL DEFAULT 0"}
LOCKED_UNTIL = {"sqlite": "TIMESTAMP", "postgres": "TIMESTAMPTZ"}


class Migration(migrations.Migration):
    dependencies = [('models', '0008_application_progress_columns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginLock',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('failed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_lock', 'app': 'models', 'pk_attr': 'key', 'table_description': "The lock-out, per login name (a 证件号码, 手机号 or reviewer's user name, as an SHA-256): failed passwords and"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateWindow',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=80)),
                ('count', fields.IntField(default=0)),
                ('until', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rate_window', 'app': 'models', 'pk_attr': 'key', 'table_description': 'A fixed-window counter shared by every process: how many times something happened (an SMS sent from one'},
            bases=['Model'],
        ),
        RemoveColumn('Account', 'failed_logins', 'account', FAILED_LOGINS),
        RemoveColumn('Account', 'locked_until', 'account', LOCKED_UNTIL),
        ops.AddField(
            model_name='RealnameRequest',
            name='pending_key',
            field=fields.IntField(null=True, unique=True),
        ),
        ops.RunPython(one_pending_request_per_account, keep_the_requests_as_they_are),
        RemoveColumn('Reviewer', 'failed_logins', 'reviewer', FAILED_LOGINS),
        RemoveColumn('Reviewer', 'locked_until', 'reviewer', LOCKED_UNTIL),
        ops.AlterModelOptions(
            name='SmsThrottle',
            options={'table': 'sms_throttle', 'app': 'models', 'pk_attr': 'phone', 'table_description': 'One row per phone asked for a code (registered or not, so that both answer alike): the time of the last'},
        ),
        ops.AddField(
            model_name='SmsThrottle',
            name='day',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='SmsThrottle',
            name='sent_today',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
