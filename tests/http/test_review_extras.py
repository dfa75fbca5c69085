"""审核, the rest of the board: files in the detail view, 导出 (CSV, 材料包), 照片复核, 线上实名认证, 统计, and
what the candidate sees of a decision."""
import io

from models.accounts import Account
from models.applications import Application, Material
from models.exams import Site
from models.profiles import RealnameRequest
from models.reviews import ReviewLog
from tests.factories import (
    field_error,
    jpeg,
    mainland_id,
    make_app,
    pdf,
    photo,
    post,
    reviewer,
    stored,
    submitted,
    token,
)


async def test_photo_and_materials_are_shown_inline_pdfs_as_page_images(client, demo, settings):
    pic, scan, doc = stored(settings, "photo", photo(), ".jpg"), stored(settings, "material", jpeg(), ".jpg"), \
        stored(settings, "material", pdf(2), ".pdf")
    a = await make_app(photo=pic, materials=[{"item": "学历证书", "stored": scan, "kind": "jpg", "pages": 1},
                                             {"item": "工作证明", "stored": doc, "kind": "pdf", "pages": 2}])
    other = stored(settings, "photo", photo(), ".jpg")
    await make_app(photo=other, name="别人")
    await reviewer(client)
    page = await client.get(f"/review/applications/{a.id}")
    assert f'src="/review/applications/{a.id}/files/{pic}"' in page.text
    assert f'<img src="/review/applications/{a.id}/files/{scan}"' in page.text and "工作证明（PDF，2页）" in page.text
    image = await client.get(f"/review/applications/{a.id}/files/{pic}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg" and image.content == photo()
    # A PDF is read as page images drawn by the server; the file itself only downloads.
    assert f'src="/review/applications/{a.id}/pages/2/{doc}"' in page.text
    got = await client.get(f"/review/applications/{a.id}/pages/2/{doc}")
    from PIL import Image
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(got.content)).size[0] == 1000
    assert (await client.get(f"/review/applications/{a.id}/pages/3/{doc}")).status_code == 404  # 2 pages only
    assert (await client.get(f"/review/applications/{a.id}/pages/1/{pic}")).status_code == 404  # not a PDF
    got = await client.get(f"/review/applications/{a.id}/files/{doc}")
    assert got.status_code == 200 and got.headers["content-disposition"] == "attachment"
    # A file of another application, through this application's URL: 404.
    assert (await client.get(f"/review/applications/{a.id}/files/{other}")).status_code == 404


async def test_csv_export_keeps_the_filters_has_a_bom_and_escapes_formulas(client, demo):
    await make_app(name="=HYPERLINK(\"x\")", review_reason=None)
    await make_app(name="+SUM(1)")
    await make_app(name="-2", status="approved", reviewed_by="@boss")
    await make_app(name="普通人", status="rejected", review_reason="\tTAB", reviewed_by="beijing")
    await reviewer(client)
    r = await client.get("/review/export.csv?status=submitted")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("报名编号,姓名,证件号码")
    assert "'=HYPERLINK" in text and "'+SUM(1)" in text and ",-2," not in text and ",'-2," not in text  # only 待审核
    approved = (await client.get("/review/export.csv?status=approved")).content.decode("utf-8-sig")
    assert ",'-2," in approved and ",'@boss," in approved and "未缴费" in approved
    rejected = (await client.get("/review/export.csv?status=rejected")).content.decode("utf-8-sig")
    assert "'\tTAB" in rejected
    # Masked, as in the list.
    row = await Application.get(cand_name="普通人")
    assert row.snapshot["candidate"]["id_number"] not in rejected


async def test_bundle_pdf_opens_with_pypdf(client, demo, settings):
    from pypdf import PdfReader
    doc = stored(settings, "material", pdf(2), ".pdf")
    a = await make_app(materials=[{"item": "学历证书", "stored": doc, "kind": "pdf", "pages": 2}])
    await Material.create(application=a, item="学历证书", stored=doc, kind="pdf", pages=2)
    await reviewer(client)
    r = await client.get(f"/review/applications/{a.id}/bundle.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(r.content)).pages) >= 2


async def test_flagged_photos_can_be_accepted_or_rejected(client, demo, settings):
    ok = await make_app(name="李四", photo=stored(settings, "photo", photo(), ".jpg"), photo_flag="照片背景颜色过深")
    bad = await make_app(name="赵六", photo=stored(settings, "photo", photo(), ".jpg"), photo_flag="照片过暗")
    await make_app(name="钱七")  # not flagged
    await reviewer(client)
    page = await client.get("/review/photos")
    assert "李四" in page.text and "赵六" in page.text and "钱七" not in page.text and "照片过暗" in page.text
    r = await client.post(f"/review/applications/{ok.id}/photo-ok", data={"csrf_token": await token(client)})
    assert r.status_code == 303 and r.headers["location"] == "/review/photos"
    assert (await Application.get(id=ok.id)).photo_flag is None
    assert (await ReviewLog.get(application_id=ok.id)).action == "photo_ok"
    r = await client.post(f"/review/applications/{bad.id}/decide", data={
        "csrf_token": await token(client), "action": "reject", "reason_choice": "照片不符合要求", "back": "/review/photos"})
    assert r.status_code == 303 and r.headers["location"] == "/review/photos"
    stored_bad = await Application.get(id=bad.id)
    assert stored_bad.status == "rejected" and stored_bad.review_reason == "照片不符合要求"
    after = await client.get("/review/photos")
    assert "李四" not in after.text and "赵六" not in after.text


async def realname_request(province="11", city="110105", name="实名人", n="1"):
    account = await Account.create(id_type="mainland", id_number=mainland_id(f"1101051990030712{n}"), name=name,
                                   phone=f"1370000000{n}", password_hash="x")
    return await RealnameRequest.create(account=account, province_code=province, city_code=city,
                                        front=f"realname/{'a' * 32}.jpg", back=f"realname/{'b' * 32}.jpg",
                                        handheld=f"realname/{'c' * 32}.jpg")


async def test_realname_requests_are_decided_on_the_board_in_scope(client, demo):
    mine, other = await realname_request(), await realname_request(name="上海人", province="31", city="310101", n="2")
    await reviewer(client)
    page = await client.get("/review/realname")
    assert "实名人" in page.text and mine.account.id_number in page.text and "上海人" not in page.text
    assert page.text.count("/files/realname/") == 3
    r = await client.post(f"/review/realname/{mine.id}/decide", data={"csrf_token": await token(client),
                                                                       "action": "reject"})
    assert r.status_code == 422 and field_error(r.text, f"reason-{mine.id}") == "请填写不通过的原因"
    assert (await RealnameRequest.get(id=mine.id)).status == "pending"
    r = await client.post(f"/review/realname/{other.id}/decide", data={"csrf_token": await token(client),
                                                                        "action": "approve"})
    assert r.status_code == 404 and (await RealnameRequest.get(id=other.id)).status == "pending"
    r = await client.post(f"/review/realname/{mine.id}/decide", data={"csrf_token": await token(client),
                                                                       "action": "approve"})
    assert r.status_code == 303
    assert (await RealnameRequest.get(id=mine.id)).decided_by == "beijing"
    assert (await Account.get(id=mine.account_id)).realname_method == "online"


async def test_stats_of_one_exam_draw_a_bar_chart_and_highlight_sites_near_capacity(client, demo):
    from models.exams import ExamProvince
    from services import clock
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    await make_app(city="110105")
    await make_app(city="110105", minutes_ago=60 * 24)
    await make_app(city="110108", status="approved")
    await make_app(province="31", city="310101")
    await make_app(exam="demo-zhongji", city="110105")  # another exam of 北京: not in this exam's figures
    site = await Site.filter(city__code="110108", city__exam_province=ep).first()
    await Site.filter(id=site.id).update(taken=int(site.capacity * 0.95))
    await reviewer(client)
    page = await client.get(f"/review/stats?exam={ep.id}")
    assert page.status_code == 200 and '<svg class="bar-chart"' in page.text
    assert f'<option value="{ep.id}" selected>' in page.text
    days = (clock.today() - clock.china_date(ep.reg_start)).days + 1  # the window so far
    assert "共 3" in page.text and page.text.count("<rect") == days
    assert "待审核</th><td>2" in page.text and "审核通过</th><td>1" in page.text
    assert "朝阳区</th><td>2" in page.text
    assert f'class="near-full"><th>{site.name}' in page.text and "接近满额" in page.text


async def test_the_candidate_sees_the_rejection_resubmits_and_returns_marked(client, other_client, demo):
    app_id, _ = await submitted(client)
    await reviewer(other_client)
    queue = await other_client.get("/review")
    assert f'id="row-{app_id}"' in queue.text and "重新提交" not in queue.text
    r = await other_client.post(f"/review/applications/{app_id}/decide", data={
        "csrf_token": await token(other_client), "action": "reject", "reason_choice": "证明材料不清晰"})
    assert r.status_code == 303
    result = await client.get(f"/apply/{app_id}/result")
    assert "审核未通过" in result.text and "证明材料不清晰" in result.text and "修改后重新提交" in result.text
    assert (await post(client, f"/apply/{app_id}/revise")).status_code == 303
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    queue = await other_client.get("/review")
    row = queue.text.split(f'id="row-{app_id}"')[1].split("</tr>")[0]
    assert "重新提交" in row
    page = await other_client.get(f"/review/applications/{app_id}")
    history = page.text.split('id="history"')[1]
    assert history.index("提交") < history.index("不通过") < history.index("重新提交")
    r = await other_client.post(f"/review/applications/{app_id}/decide", data={
        "csrf_token": await token(other_client), "action": "approve"})
    assert "审核通过" in (await client.get(f"/apply/{app_id}/result")).text


async def test_submission_sets_the_photo_flag_where_the_province_checks_photos(client, demo, settings):
    from models.exams import ExamProvince
    from services.registration import submission
    from tests.factories import at_step
    account, app_id, _ = await at_step(client)
    await post(client, f"/apply/{app_id}/materials")
    app = await Application.get(id=app_id).select_related("exam")
    ep = await ExamProvince.get(id=app.province_id)
    assert ep.photo_check
    dark = stored(settings, "photo", jpeg(330, 440, color=(30, 30, 30)), ".jpg")
    await Application.filter(id=app_id).update(photo=dark)
    app.photo = dark
    await submission.submit(app, ep, account, app.created_at, commitment=False, upload_dir=settings.upload_dir)
    assert (await Application.get(id=app_id)).photo_flag == "照片过暗"
    await reviewer(client, "beijing")
    page = await client.get("/review/photos")
    assert "照片过暗" in page.text


async def test_no_photo_flag_where_the_province_does_not_check(demo, settings):
    from types import SimpleNamespace

    from services.registration import submission
    ep = SimpleNamespace(photo_check=False)
    app = SimpleNamespace(photo=stored(settings, "photo", jpeg(330, 440, color=(30, 30, 30)), ".jpg"))
    assert await submission.photo_flag_of(app, ep, settings.upload_dir) is None
    assert await submission.photo_flag_of(app, SimpleNamespace(photo_check=True), settings.upload_dir) == "照片过暗"


async def test_files_url_serves_reviewers_in_scope_only(client, demo, settings):
    pic, sh = stored(settings, "photo", photo(), ".jpg"), stored(settings, "photo", photo(), ".jpg")
    await make_app(photo=pic)
    await make_app(province="31", city="310101", photo=sh)
    await reviewer(client)
    assert (await client.get(f"/files/{pic}")).content == photo()
    assert (await client.get(f"/files/{sh}")).status_code == 404  # 上海's photo, by URL


async def test_a_city_reviewer_gets_files_of_that_city_only(client, demo, settings):
    chaoyang, haidian = stored(settings, "photo", photo(), ".jpg"), stored(settings, "photo", photo(), ".jpg")
    await make_app(city="110105", photo=chaoyang)
    await make_app(city="110108", photo=haidian)
    await reviewer(client, username="chaoyang", city="110105")
    assert (await client.get(f"/files/{chaoyang}")).status_code == 200
    assert (await client.get(f"/files/{haidian}")).status_code == 404  # 海淀区: the same province, not the city
