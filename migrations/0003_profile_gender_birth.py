from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_realname_profile')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Profile',
            options={'table': 'profile', 'app': 'models', 'pk_attr': 'account_id', 'table_description': '信息采集: one record per account, saved section by section so nothing typed is lost.'},
        ),
        ops.AddField(
            model_name='Profile',
            name='birth_date',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Profile',
            name='gender',
            field=fields.CharField(null=True, max_length=2),
        ),
    ]
