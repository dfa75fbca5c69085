"""报名表打印 (GET /apply/{id}/form.pdf), the public /verify/{code} page, and the reviewers' 材料包."""
import asyncio
import io
import re
from datetime import timedelta

from pypdf import PdfReader

from models.accounts import Account
from models.applications import Application
from models.payments import Order
from services.documents import bundle
from services.accounts import realname
from tests.factories import mainland_id, register
from tests.factories import post
from tests.factories import at_step, pdf, submitted, upload
from tests.factories import RARE_NAME, drawn_chars, text_of
from services.clock import now

ID_NUMBER = mainland_id()


async def download(client, app_id):
    r = await client.get(f"/apply/{app_id}/form.pdf")
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"] == "application/pdf" and r.headers["content-disposition"].startswith("attachment")
    return r.content


def code_in(data: bytes) -> str:
    return re.search(r"报名表验证码：([0-9A-Z]{16})", text_of(data)).group(1)


async def test_the_owner_downloads_the_form_of_a_submitted_application(client, demo, settings):
    app_id, site = await submitted(client)
    data = await download(client, app_id)
    text = text_of(data)
    for expected in ("2027年度全国会计专业技术初级资格考试报名表", "张三丰", ID_NUMBER, "北京", site.name, "待审核",
                     "未生成订单", "初级会计实务、经济法基础"):
        assert expected in text, expected
    app = await Application.get(id=app_id)
    assert app.form_code and code_in(data) == app.form_code
    assert f"{settings.base_url}/verify/{app.form_code}" in text
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1  # the photo
    assert code_in(await download(client, app_id)) == app.form_code  # printing again keeps the code


async def test_the_form_needs_a_login(client, demo):
    app_id, _ = await submitted(client)
    await post(client, "/logout")
    r = await client.get(f"/apply/{app_id}/form.pdf")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_another_candidates_form_is_404(client, other_client, demo):
    app_id, _ = await submitted(client)
    other = await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    await realname.mark_verified(other.id, "alipay", now())
    r = await other_client.get(f"/apply/{app_id}/form.pdf")
    assert r.status_code == 404 and "application/pdf" not in r.headers["content-type"] and "张三丰" not in r.text
    assert (await Application.get(id=app_id)).form_code is None
    assert (await other_client.get("/apply/999999/form.pdf")).status_code == 404


async def test_a_draft_or_withdrawn_application_has_no_form(client, demo):
    _, app_id, _ = await at_step(client)
    r = await client.get(f"/apply/{app_id}/form.pdf")
    assert r.status_code == 409 and "报名信息提交后才能打印报名表" in r.text and "填写中" in r.text
    assert "application/pdf" not in r.headers["content-type"]
    await post(client, f"/apply/{app_id}/materials")
    await post(client, f"/apply/{app_id}/confirm")
    await post(client, f"/apply/{app_id}/restart")
    app = await Application.get(id=app_id)
    assert app.status == "withdrawn"
    r = await client.get(f"/apply/{app_id}/form.pdf")
    assert r.status_code == 409 and "已撤销" in r.text
    assert (await Application.get(id=app_id)).form_code is None


async def test_two_concurrent_prints_agree_on_one_code(client, demo):
    app_id, _ = await submitted(client)
    url = f"/apply/{app_id}/form.pdf"
    first, second = await asyncio.gather(client.get(url), client.get(url))
    stored = (await Application.get(id=app_id)).form_code
    assert code_in(first.content) == code_in(second.content) == stored


async def test_the_latest_order_and_its_status_are_printed(client, demo):
    app_id, _ = await submitted(client)
    await Application.filter(id=app_id).update(status="approved")
    t = now()
    await Order.create(number="20271130-11-OLD00001", application_id=app_id, amount_fen=11200, status="closed",
                       created_at=t - timedelta(hours=2), expires_at=t - timedelta(hours=1))
    await Order.create(number="20271130-11-7F3K9Q2M", application_id=app_id, open_key=app_id, amount_fen=11200,
                       created_at=t, expires_at=t + timedelta(minutes=30))
    text = text_of(await download(client, app_id))
    assert "20271130-11-7F3K9Q2M" in text and "待支付" in text and "审核通过" in text
    assert "OLD00001" not in text and "未生成订单" not in text


async def test_a_rare_character_name_is_embedded_and_read_back_from_the_downloaded_form(client, demo):
    account, app_id, _ = await at_step(client)
    await Account.filter(id=account.id).update(name=RARE_NAME)
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    data = await download(client, app_id)
    drawn = drawn_chars(data)
    assert all(ch in drawn for ch in RARE_NAME)
    assert RARE_NAME in text_of(data)


async def test_verify_shows_masked_data_only(client, other_client, demo):
    app_id, _ = await submitted(client)
    code = code_in(await download(client, app_id))
    r = await other_client.get(f"/verify/{code}")  # anyone, not logged in
    assert r.status_code == 200 and "真实有效" in r.text
    for expected in ("张*丰", ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:], "2027年度全国会计专业技术初级资格考试", "北京",
                     "待审核"):
        assert expected in r.text, expected
    for secret in ("张三丰", ID_NUMBER, "13800138000", "首都经济贸易大学", "建国路"):
        assert secret not in r.text, secret
    await Application.filter(id=app_id).update(status="paid")
    assert "报名成功" in (await other_client.get(f"/verify/{code}")).text  # the status as it is now


async def test_verify_with_a_bad_code_is_404_and_reveals_nothing(client, other_client, demo):
    app_id, _ = await submitted(client)
    code = code_in(await download(client, app_id))
    unknown = "".join(reversed(code)) if code[::-1] != code else "23456789ABCDEFGH"
    for bad in (unknown, code.lower(), code[:-1], "x" * 300, "%27%20OR%201=1"):
        r = await other_client.get(f"/verify/{bad}")
        assert r.status_code == 404, bad
        assert "未能核验该报名表" in r.text and "张" not in r.text and "真实有效" not in r.text


async def test_material_bundle_is_the_form_then_each_uploaded_material(client, demo, settings):
    _, app_id, _ = await at_step(client)
    assert (await upload(client, app_id, "学历证书（选传）", pdf(2))).status_code == 303
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    app = await Application.get(id=app_id)
    reader = PdfReader(io.BytesIO(await bundle.material_bundle(app, settings)))
    assert len(reader.pages) == 3
    assert [(o.title, reader.get_destination_page_number(o)) for o in reader.outline] == [
        ("报名表", 0), ("学历证书（选传）", 1)]
    assert "张三丰" in reader.pages[0].extract_text()
    assert app.form_code and app.form_code in "".join(reader.pages[0].extract_text().split())
