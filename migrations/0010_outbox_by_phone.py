# The sandbox outbox read by phone (/dev/outbox?phone=, the journey benchmark's candidates reading their code).
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_hardening')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='SmsOutbox',
            name='phone',
            field=fields.CharField(db_index=True, max_length=11),
        ),
    ]
