"""`make run`'s demo candidates: submitted through the real operations, once, one of them ready to pay."""
from models.accounts import Account
from models.applications import Application
from models.reviews import ReviewLog
from services import demo as demo_data
from services.accounts.reviewers import add_reviewer
from services.clock import now
from tests.factories import login, post


async def test_demo_applications_fill_the_queue_once_and_one_candidate_can_pay(client, demo, settings, app):
    import cli
    await add_reviewer(*cli.DEMO_REVIEWER[:2], None, cli.DEMO_REVIEWER[2])
    reference = app.state.reference
    assert await demo_data.seed_applications(settings.upload_dir, now(), reference) == len(demo_data.CANDIDATES)
    assert await demo_data.seed_applications(settings.upload_dir, now(), reference) == 0  # a restart changes nothing
    statuses = sorted(await Application.all().values_list("status", flat=True))
    assert statuses.count("approved") == 3 and statuses.count("rejected") == 1 and statuses.count("submitted") == 8
    assert await ReviewLog.filter(action="approve", actor="beijing").count() == 3
    assert await Account.filter(name="欧阳䶮").exists()
    assert (await login(client, demo_data.id_number(0), demo_data.PASSWORD)).status_code == 303
    application = await Application.get(account__id_number=demo_data.id_number(0))
    r = await post(client, f"/exams/{application.exam_id}/enter")
    assert r.headers["location"] == f"/apply/{application.id}/pay"
    assert "生成订单" in (await client.get(r.headers["location"])).text
