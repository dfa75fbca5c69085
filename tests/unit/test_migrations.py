"""Data steps of the migrations, run against rows like those a deployment has (on SQLite and PostgreSQL)."""
import importlib
from types import SimpleNamespace

from tortoise import connections
from tortoise.migrations import operations as ops

from models.accounts import Account
from models.applications import Application
from models.profiles import RealnameRequest
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


async def test_0008_moves_the_progress_flags_out_of_personal_into_columns(demo):
    done = await make_app(name="张三丰", status="draft")
    halfway = await make_app(name="李四", status="draft")
    fresh = await make_app(name="王五", status="draft")
    # As 0007 left them: the flags inside the JSON, next to the personal fields.
    await Application.filter(id=done.id).update(personal={"school": "某大学", "complete": True, "materials_done": True})
    await Application.filter(id=halfway.id).update(personal={"school": "某大学", "complete": True})
    await Application.filter(id=fresh.id).update(personal={})
    migration = importlib.import_module("migrations.0008_application_progress_columns").Migration
    move = next(op for op in migration.operations if isinstance(op, ops.RunPython))
    apps = SimpleNamespace(get_model=lambda app_label, name: Application)
    await move.code(apps, SimpleNamespace(client=connections.get("default")))
    rows = {a.id: a for a in await Application.all()}
    assert (rows[done.id].info_done, rows[done.id].materials_done) == (True, True)
    assert (rows[halfway.id].info_done, rows[halfway.id].materials_done) == (True, False)
    assert (rows[fresh.id].info_done, rows[fresh.id].materials_done) == (False, False)
    assert rows[done.id].personal == rows[halfway.id].personal == {"school": "某大学"} and rows[fresh.id].personal == {}
    await move.reverse_code(apps, SimpleNamespace(client=connections.get("default")))
    assert (await Application.get(id=done.id)).personal == {"school": "某大学", "complete": True, "materials_done": True}
    assert (await Application.get(id=halfway.id)).personal == {"school": "某大学", "complete": True}


async def test_0009_keeps_one_pending_realname_request_per_account(clean_db):
    """Before 0009 nothing stopped several pending requests of one account (submitted at once): the newest keeps
    waiting and takes the unique pending_key; the older ones are closed by 系统; decided requests are untouched."""
    a, b = [await Account.create(id_type="mainland", id_number=f"11010519900307{i:03d}X", name="张三",
                                 phone=f"1380013800{i}", password_hash="x") for i in (1, 2)]
    files = {"province_code": "11", "city_code": "110105", "front": "f", "back": "b", "handheld": "h"}
    decided = await RealnameRequest.create(account=a, status="rejected", reason="不清晰", **files)
    older = [await RealnameRequest.create(account=a, **files) for _ in range(2)]
    newest = await RealnameRequest.create(account=a, **files)
    only = await RealnameRequest.create(account=b, **files)
    assert await RealnameRequest.filter(pending_key__isnull=False).count() == 0  # as the rows were before 0009
    migration = importlib.import_module("migrations.0009_hardening").Migration
    step = next(op for op in migration.operations if isinstance(op, ops.RunPython))
    apps = SimpleNamespace(get_model=lambda app_label, name: RealnameRequest)
    await step.code(apps, SimpleNamespace(client=connections.get("default")))
    rows = {r.id: r for r in await RealnameRequest.all()}
    assert (rows[newest.id].status, rows[newest.id].pending_key) == ("pending", a.id)
    assert (rows[only.id].status, rows[only.id].pending_key) == ("pending", b.id)
    for r in older:
        assert (rows[r.id].status, rows[r.id].pending_key, rows[r.id].decided_by) == ("rejected", None, "系统")
        assert "最新" in rows[r.id].reason
    assert (rows[decided.id].status, rows[decided.id].reason) == ("rejected", "不清晰")

