"""Uploads and page images that cost what they should (issue 11, defect 3): the 实名认证 images within their
pixel budget, a PDF page bomb refused at upload and never drawn for the reviewers."""
import io
import time

from PIL import Image
from pypdf import PdfReader

from models.profiles import RealnameRequest
from tests.factories import (
    csrf_of,
    field_error,
    flat_png,
    jpeg,
    make_app,
    pdf,
    pdf_of_pages,
    reviewer,
    signed_in,
    stored,
    stored_files,
    upload_form,
)

PIXELS = "图片尺寸过大：不能超过400万像素，请重新拍摄或换一张较小的图片"


async def test_the_issues_three_flat_pngs_are_refused_at_once_next_to_each_field(app, client, settings):
    # 395 KB of request, 119 megapixels: 5.3 s and 300 MB of decoding before, and the three were stored.
    await signed_in(app, client)
    png = flat_png(7264, 5452)
    data, files = upload_form(await csrf_of(client, "/realname"),
                              **{f: (f"{f}.png", png, "image/png") for f in ("front", "back", "handheld")})
    started = time.perf_counter()
    r = await client.post("/realname/online", data=data, files=files)
    assert time.perf_counter() - started < 1.0
    assert r.status_code == 422
    assert [field_error(r.text, f) for f in ("front", "back", "handheld")] == [PIXELS] * 3
    assert await RealnameRequest.all().count() == 0 and stored_files(settings) == []


async def test_phone_photos_of_any_size_are_taken_at_a_size_the_reviewers_need(app, client, settings):
    await signed_in(app, client)
    photo = jpeg(4032, 3024, quality=80)  # a 12 MP phone camera's picture
    data, files = upload_form(await csrf_of(client, "/realname"),
                              **{f: (f"{f}.jpg", photo, "image/jpeg") for f in ("front", "back", "handheld")})
    r = await client.post("/realname/online", data=data, files=files)
    assert r.status_code == 303, r.text
    sizes = {Image.open(p).size for p in stored_files(settings)}
    assert sizes == {(2016, 1512)} and await RealnameRequest.all().count() == 1


async def test_a_stored_page_bomb_answers_404_at_once_on_the_reviewers_board(client, demo, settings):
    # Stored before uploads were held to A0: drawn, this page was 9 s and 1.8 GB, and a taller one a 500.
    bomb = stored(settings, "material", pdf_of_pages((200, 150000)), ".pdf")
    doc = stored(settings, "material", pdf(1), ".pdf")
    a = await make_app(materials=[{"item": "学历证书", "stored": bomb, "kind": "pdf", "pages": 1},
                                  {"item": "工作证明", "stored": doc, "kind": "pdf", "pages": 1}])
    await reviewer(client)
    started = time.perf_counter()
    assert (await client.get(f"/review/applications/{a.id}/pages/1/{bomb}")).status_code == 404
    assert time.perf_counter() - started < 1.0
    assert (await client.get(f"/review/applications/{a.id}/pages/1/{doc}")).status_code == 200
    bundle = await client.get(f"/review/applications/{a.id}/bundle.pdf")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/pdf"
    assert "第1页的页面尺寸不正常" in "".join(PdfReader(io.BytesIO(bundle.content)).pages[1].extract_text().split())


async def test_the_info_form_sent_with_a_chosen_photo_is_taken_not_refused_as_too_large(client, demo):
    """Issue 11 review: 报名信息填写 is one multipart form with the photo input, so 确认无误，下一步 and 使用此照片 send a
    photo the candidate chose; those routes had an ordinary form's 64 KB limit and answered 413, losing the form."""
    from models.applications import Application
    from tests.factories import PERSONAL, at_info, city_and_site, images, token, upload_photo

    _, app_id = await at_info(client)
    assert (await upload_photo(client, app_id)).status_code == 303  # PRG (issue 14)
    city, site = await city_and_site()
    big = images.jpeg(1800, 2400, quality=97)  # ~1.8 MB, within the photo's 2 MB
    assert len(big) > 1024 * 1024
    data = {"csrf_token": await token(client), "city": str(city.id), "site": str(site.id),
            "subjects": ["初级会计实务", "经济法基础"], **PERSONAL}
    accepted = await client.post(f"/apply/{app_id}/photo/accept", data=data, files={"photo": ("me.jpg", big, "image/jpeg")})
    assert accepted.status_code != 413
    r = await client.post(f"/apply/{app_id}/info", data=data, files={"photo": ("me.jpg", big, "image/jpeg")})
    # Issue 14: the chosen photo goes with 确认无误，下一步; this one the server adjusts, so its preview waits first.
    assert r.status_code == 422 and "使用此照片" in r.text, r.text[:300]
    await client.post(f"/apply/{app_id}/photo/accept", data=data)
    r = await client.post(f"/apply/{app_id}/info", data=data)
    assert r.status_code == 303, r.text[:300]
    assert (await Application.get(id=app_id)).info_done
