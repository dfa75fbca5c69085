# Issue 14: the reviewers' board search (a candidate's 姓名 or the last 4 digits of the 证件号码) moves out of the URL
# into the reviewer's server-side session. A nullable column: added without rebuilding the table, no search in
# the sessions alive at the upgrade.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_outbox_by_phone')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Session',
            name='review_search',
            field=fields.CharField(max_length=64, null=True),
        ),
    ]
