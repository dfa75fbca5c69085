from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_reviews_payments')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PaymentNotification',
            name='late_key',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
