"""证明材料上传, 信息确认, 提交 (atomic, once), 审核告知, 告知承诺."""
import asyncio

import httpx

from models.applications import Application, Material
from models.exams import ExamCity, Site
from tests.factories import at_step, csrf_of, pdf, submitted, upload
from tests.factories import mainland_id
from tests.factories import PERSONAL, at_info, upload_photo
from tests.factories import post


async def test_required_materials_block_next_and_bad_pdfs_are_refused(client, demo):
    _, app_id, _ = await at_step(client, "demo-zhongji")
    page = await client.get(f"/apply/{app_id}/materials")
    assert "学历证书" in page.text and "会计工作年限证明" in page.text and "必传" in page.text
    r = await post(client, f"/apply/{app_id}/materials")
    assert r.status_code == 422 and "请上传必传的证明材料" in r.text
    for content, fragment in ((pdf(password="pw"), "加密"), (pdf(21), "20页"), (b"MZ\x90\x00" + b"\x00" * 500, "PDF"),
                              (pdf(3)[:200], "损坏")):
        r = await upload(client, app_id, "学历证书", content)
        assert r.status_code == 422 and fragment in r.text, fragment
    assert await Material.all().count() == 0
    assert (await upload(client, app_id, "学历证书", pdf(2))).status_code == 303
    assert (await upload(client, app_id, "会计工作年限证明", pdf(1))).status_code == 303
    row = await Material.get(item="学历证书")
    assert row.kind == "pdf" and row.pages == 2
    got = await client.get(f"/files/{row.stored}")
    assert got.status_code == 200 and got.headers["content-disposition"] == "attachment"
    # Replace, then remove and see 下一步 blocked again.
    assert (await upload(client, app_id, "学历证书", pdf(3))).status_code == 303
    assert (await Material.get(item="学历证书")).pages == 3
    mid = (await Material.get(item="学历证书")).id
    assert (await post(client, f"/apply/{app_id}/materials/{mid}/delete")).status_code == 303
    assert (await post(client, f"/apply/{app_id}/materials")).status_code == 422
    assert (await upload(client, app_id, "学历证书", pdf(1))).status_code == 303
    r = await post(client, f"/apply/{app_id}/materials")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/confirm"


async def test_confirm_shows_everything_and_submit_takes_the_place_once(client, demo):
    _, app_id, site = await at_step(client)
    assert (await post(client, f"/apply/{app_id}/materials")).status_code == 303  # optional item only
    page = await client.get(f"/apply/{app_id}/confirm")
    for text in ("报考信息", "照片信息", "基本信息", "学历信息", "学位信息", "工作信息", "修改", "提交", "¥112.00"):
        assert text in page.text, text
    token = await csrf_of(client, "/exams")
    first, second = await asyncio.gather(client.post(f"/apply/{app_id}/confirm", data={"csrf_token": token}),
                                         client.post(f"/apply/{app_id}/confirm", data={"csrf_token": token}))
    assert {first.status_code, second.status_code} <= {303}
    app = await Application.get(id=app_id)
    assert app.status == "submitted" and app.snapshot["site"]["name"] == site.name
    assert app.snapshot["subjects"] == ["初级会计实务", "经济法基础"] and app.snapshot["fee_fen"] == 11200
    assert (await Site.get(id=site.id)).taken == site.taken + 1  # two clicks, one place
    result = await client.get(f"/apply/{app_id}/result")
    assert "受理部门" in result.text and "办理提示" in result.text and "待审核" in result.text
    # After submission nothing can be edited, and 进入 leads to 审核告知.
    r = await client.get(f"/apply/{app_id}/info")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/result"
    r = await post(client, f"/apply/{app_id}/info", {"city": "1"})
    assert r.headers["location"] == f"/apply/{app_id}/result"


async def test_two_candidates_cannot_both_take_the_last_place(client, app, demo):
    _, app_a, last = await at_step(client, province_site=("110101", 1))
    assert last.capacity == 1
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as other:
        from models.profiles import Education
        from datetime import date
        from services.accounts import realname
        from tests.factories import register
        from services.clock import now
        account_b = await register(other, phone="13900139000", id_number=mainland_id("32010219900307121"))
        await realname.mark_verified(account_b.id, "alipay", now())
        await Education.create(account=account_b, level="大学本科", school="X", major="Y", graduated_on=date(2010, 7, 1),
                               certificate_no="1")
        from tests.factories import to_condition
        app_b = await to_condition(other)
        await post(other, f"/apply/{app_b}/condition", {"condition": "chuji_high_school"})
        await upload_photo(other, app_b)
        await post(other, f"/apply/{app_b}/info", {"city": last.city_id, "site": last.id,
                                                  "subjects": ["初级会计实务", "经济法基础"], **PERSONAL})
        await post(other, f"/apply/{app_b}/materials")
        await post(client, f"/apply/{app_a}/materials")
        ta, tb = await csrf_of(client, "/exams"), await csrf_of(other, "/exams")
        ra, rb = await asyncio.gather(client.post(f"/apply/{app_a}/confirm", data={"csrf_token": ta}),
                                      other.post(f"/apply/{app_b}/confirm", data={"csrf_token": tb}))
    statuses = sorted([(await Application.get(id=app_a)).status, (await Application.get(id=app_b)).status])
    assert statuses == ["draft", "submitted"]
    assert (await Site.get(id=last.id)).taken == 1
    loser = ra if ra.status_code == 422 else rb
    assert loser.status_code == 422 and "已满" in loser.text


async def test_commitment_province_needs_the_signature_and_approves_at_once(client, demo):
    from models.exams import ExamProvince
    account, app_id = await at_info(client)
    await post(client, f"/apply/{app_id}/province", {"province": "33"})  # 浙江: 告知承诺
    await post(client, f"/apply/{app_id}/notice", {"agree": "1"})
    await post(client, f"/apply/{app_id}/announcements")
    await post(client, f"/apply/{app_id}/condition", {"condition": "chuji_high_school"})
    await upload_photo(client, app_id)
    ep = await ExamProvince.get(province_code="33", exam__code="demo-chuji")
    city = await ExamCity.filter(exam_province=ep).first()
    site = await Site.filter(city=city).first()
    r = await post(client, f"/apply/{app_id}/info", {"city": city.id, "site": site.id,
                                                     "subjects": ["初级会计实务", "经济法基础"], **PERSONAL})
    assert r.headers["location"] == f"/apply/{app_id}/confirm"  # no materials in 浙江
    page = await client.get(f"/apply/{app_id}/confirm")
    assert "告知承诺" in page.text
    r = await post(client, f"/apply/{app_id}/confirm")
    assert r.status_code == 422 and "告知承诺" in r.text
    assert (await Application.get(id=app_id)).status == "draft"
    r = await post(client, f"/apply/{app_id}/confirm", {"commitment": "1"})
    app = await Application.get(id=app_id)
    assert r.status_code == 303 and app.status == "approved" and app.commitment_signed_at is not None
    assert "审核通过" in (await client.get(f"/apply/{app_id}/result")).text


async def test_another_candidates_material_is_404(client, other_client, demo):
    _, app_id, _ = await at_step(client)
    await upload(client, app_id, "学历证书（选传）", pdf(1))
    row = await Material.first()
    from services.accounts import realname
    from tests.factories import register
    from services.clock import now
    b = await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    await realname.mark_verified(b.id, "alipay", now())
    assert (await other_client.get(f"/files/{row.stored}")).status_code == 404
    assert (await post(other_client, f"/apply/{app_id}/materials/{row.id}/delete")).status_code == 404


async def test_restart_withdraws_keeps_the_row_and_frees_the_place(client, demo):
    app_id, site = await submitted(client)
    taken = (await Site.get(id=site.id)).taken
    page = await client.get(f"/apply/{app_id}/restart")
    assert "确定要重新报名吗" in page.text
    r = await post(client, f"/apply/{app_id}/restart")
    assert r.status_code == 303 and r.headers["location"] == "/exams?restarted=1"
    old = await Application.get(id=app_id)
    assert old.status == "withdrawn" and old.active_key is None
    assert (await Site.get(id=site.id)).taken == taken - 1
    # 进入 starts a new application at 选择省份.
    from models.exams import Exam
    exam = await Exam.get(code="demo-chuji")
    r = await post(client, f"/exams/{exam.id}/enter")
    assert r.headers["location"].endswith("/province") and f"/apply/{app_id}/" not in r.headers["location"]
    assert await Application.all().count() == 2
    # Withdrawing twice changes nothing more.
    await post(client, f"/apply/{app_id}/restart")
    assert (await Site.get(id=site.id)).taken == taken - 1


async def test_restart_is_refused_after_payment(client, demo):
    app_id, _ = await submitted(client)
    await Application.filter(id=app_id).update(status="paid")
    page = await client.get(f"/apply/{app_id}/result")
    assert 'id="restart"' not in page.text
    r = await post(client, f"/apply/{app_id}/restart")
    assert r.status_code == 409 and "已缴费" in r.text
    assert (await Application.get(id=app_id)).status == "paid"


async def test_a_rejected_application_is_corrected_and_submitted_again(client, demo):
    app_id, site = await submitted(client)
    taken = (await Site.get(id=site.id)).taken
    await Application.filter(id=app_id).update(status="rejected", review_reason="照片不符合要求")
    page = await client.get(f"/apply/{app_id}/result")
    assert "审核未通过" in page.text and "照片不符合要求" in page.text and "修改后重新提交" in page.text
    r = await post(client, f"/apply/{app_id}/revise")
    assert r.headers["location"] == f"/apply/{app_id}/info"
    assert (await Site.get(id=site.id)).taken == taken - 1
    await upload_photo(client, app_id)
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    app = await Application.get(id=app_id)
    assert app.status == "submitted" and app.resubmitted and (await Site.get(id=site.id)).taken == taken
    from models.reviews import ReviewLog
    history = await ReviewLog.filter(application_id=app_id).order_by("id").values_list("action", "from_status",
                                                                                        "to_status")
    # (the rejection above was written directly, without the board)
    assert history == [("submit", "draft", "submitted"), ("reopen", "rejected", "draft"),
                       ("resubmit", "draft", "submitted")]
