from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_exam_data_applications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Application',
            name='pending_photo',
            field=fields.CharField(null=True, max_length=80),
        ),
    ]
