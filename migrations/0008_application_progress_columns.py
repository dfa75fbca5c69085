from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The wizard's progress flags lived inside the `personal` JSON (rewritten whole at every save): they become
# columns of their own, and `personal` keeps the personal fields only.
FLAGS = {"complete": "info_done", "materials_done": "materials_done"}
BATCH = 500


async def move_flags_out_of_personal(apps, schema_editor):
    """Plain ORM reads and updates on the migration's connection: the same on SQLite and PostgreSQL."""
    Application = apps.get_model("models", "Application")
    db, last = schema_editor.client, 0
    while rows := await (Application.filter(id__gt=last).order_by("id").limit(BATCH)
                         .using_db(db).values_list("id", "personal")):
        for app_id, personal in rows:
            personal = personal or {}
            if FLAGS.keys() & personal.keys():
                await Application.filter(id=app_id).using_db(db).update(
                    **{column: bool(personal.get(flag)) for flag, column in FLAGS.items()},
                    personal={k: v for k, v in personal.items() if k not in FLAGS})
        last = rows[-1][0]


async def put_flags_back(apps, schema_editor):
    Application = apps.get_model("models", "Application")
    db = schema_editor.client
    for app_id, personal, info_done, materials_done in await Application.all().using_db(db).values_list(
            "id", "personal", "info_done", "materials_done"):
        done = {"info_done": info_done, "materials_done": materials_done}
        await Application.filter(id=app_id).using_db(db).update(
            personal={**(personal or {}), **{flag: done[column] for flag, column in FLAGS.items() if done[column]}})


class Migration(migrations.Migration):
    dependencies = [('models', '0007_late_payment_once')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Application',
            name='info_done',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Application',
            name='materials_done',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Application',
            name='version',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.RunPython(move_flags_out_of_personal, put_flags_back),
    ]
