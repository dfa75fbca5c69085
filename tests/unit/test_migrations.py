"""Data steps of the migrations, run against rows like those a deployment has (on SQLite and PostgreSQL)."""
import importlib

from tortoise import connections
from tortoise.migrations import operations as ops

from models.applications import Application
from tests.factories import make_app



async def test_0006_fills_the_queue_columns_of_applications_submitted_before_it(demo):
    a = await make_app(name="张三丰", city="110105")
    draft = await make_app(name="李四", status="draft")
    await Application.filter(id=draft.id).update(submitted_at=None)
    await Application.all().update(city_code=None, cand_name=None, id_last4=None)  # as 0005 left them
    migration = importlib.import_module("migrations.0006_reviews_payments").Migration
    backfill = next(op for op in migration.operations if isinstance(op, ops.RunSQL))
    await connections.get("default").execute_script(backfill.sql)
    row = await Application.get(id=a.id).select_related("account", "site__city")
    assert (row.city_code, row.cand_name, row.id_last4) == ("110105", "张三丰", row.account.id_number[-4:])
    assert (await Application.get(id=draft.id)).city_code is None  # never submitted: nothing to copy
