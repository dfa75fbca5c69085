"""`make run`'s demo candidates: submitted through the real operations, once, one of them ready to pay."""
from models.accounts import Account
from models.applications import Application
from models.reviews import ReviewLog
from services import demo
from tests.helpers import login
from tests.http.test_wizard_steps import demo as demo_exams, post  # noqa: F401
from web import now


async def test_demo_applications_fill_the_queue_once_and_one_candidate_can_pay(client, demo_exams, settings):
    import cli
    await cli.add_reviewer(*cli.DEMO_REVIEWER[:2], None, cli.DEMO_REVIEWER[2])
    assert await demo.seed_applications(settings.upload_dir, now()) == len(demo.CANDIDATES)
    assert await demo.seed_applications(settings.upload_dir, now()) == 0  # a restart changes nothing
    statuses = sorted(await Application.all().values_list("status", flat=True))
    assert statuses.count("approved") == 3 and statuses.count("rejected") == 1 and statuses.count("submitted") == 8
    assert await ReviewLog.filter(action="approve", actor="beijing").count() == 3
    assert await Account.filter(name="欧阳䶮").exists()
    assert (await login(client, demo.id_number(0), demo.PASSWORD)).status_code == 303
    app = await Application.get(account__id_number=demo.id_number(0))
    r = await post(client, f"/exams/{app.exam_id}/enter")
    assert r.headers["location"] == f"/apply/{app.id}/pay"
    assert "生成订单" in (await client.get(r.headers["location"])).text
