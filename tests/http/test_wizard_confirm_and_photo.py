"""Issue 14, two gaps of the wizard: 信息确认's seven 修改 links each named by what they change, and on 报名信息填写
a photo chosen before the no-JavaScript 更新报名点 / 计算费用 goes with that button (a browser never keeps a file
input's choice across a page load), as it does with 确认无误，下一步."""
import re

from models.applications import Application
from tests.factories import PERSONAL, at_info, at_step, city_and_site, csrf_of, field_error, images, pdf

SECTIONS = ("报考信息", "照片信息", "基本信息", "学历信息", "学位信息", "工作信息", "附件信息")


async def test_each_edit_link_on_confirm_says_what_it_changes(client, demo):
    _, app_id, _ = await at_step(client, "demo-zhongji")  # 中级: with 附件信息, so all seven
    token = await csrf_of(client, "/exams")
    files = [("file:学历证书", ("a.pdf", pdf(1), "application/pdf")),
             ("file:会计工作年限证明", ("b.pdf", pdf(1), "application/pdf"))]
    r = await client.post(f"/apply/{app_id}/materials", data={"csrf_token": token}, files=files)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/confirm"
    page = (await client.get(f"/apply/{app_id}/confirm")).text
    links = re.findall(r'<a class="edit" href="([^"]+)" aria-label="([^"]+)">([^<]+)</a>', page)
    assert len(links) == page.count('class="edit"') == 7
    names = [name for _, name, _ in links]
    assert names == [f"修改{s}" for s in SECTIONS] and len(set(names)) == 7
    assert all(text == "修改" for _, _, text in links)  # the visible word, first in the name (WCAG 2.5.3)
    hrefs = dict((name, href) for href, name, _ in links)
    assert hrefs["修改照片信息"] == f"/apply/{app_id}/info#photo-box"
    assert hrefs["修改附件信息"] == f"/apply/{app_id}/materials" and hrefs["修改学历信息"] == f"/apply/{app_id}/info"


async def refresh(client, app_id, button: str, photo: tuple | None, **typed):
    """更新报名点 (refresh=site) or 计算费用 (refresh=fee) without JavaScript: the whole form, the chosen photo with it."""
    city, site = await city_and_site()
    data = {"csrf_token": await csrf_of(client, "/exams"), "refresh": button, "city": str(city.id),
            "site": str(site.id), "subjects": ["初级会计实务"], **PERSONAL, **typed}
    return await client.post(f"/apply/{app_id}/info", data=data, files={"photo": photo} if photo else None)


async def test_update_site_keeps_a_chosen_photo_by_uploading_it(client, demo):
    _, app_id = await at_info(client)
    r = await refresh(client, app_id, "site", ("me.jpg", images.photo(295, 413), "image/jpeg"), address="北京市海淀区9号")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info"  # PRG, nothing typed in it
    app = await Application.get(id=app_id)
    assert app.photo and not app.pending_photo and not app.info_done  # stored, the step not done
    page = (await client.get(r.headers["location"])).text
    assert f'src="/files/{app.photo}"' in page and 'value="北京市海淀区9号"' in page
    assert "请上传个人照片" not in page


async def test_compute_fee_with_a_photo_the_server_adjusts_shows_its_preview(client, demo):
    _, app_id = await at_info(client)
    r = await refresh(client, app_id, "fee", ("me.jpg", images.jpeg(1200, 1600, quality=92), "image/jpeg"))
    assert r.status_code == 303 and r.headers["location"].startswith(f"/apply/{app_id}/info?adjusted=")
    assert r.headers["location"].endswith("#photo-box")
    app = await Application.get(id=app_id)
    assert app.pending_photo and not app.photo
    page = (await client.get(r.headers["location"])).text
    assert 'class="preview"' in page and "使用此照片" in page and "已自动" in page
    assert "¥" in page and "初级会计实务" in page


async def test_a_refused_photo_with_update_site_says_so_and_keeps_what_was_typed(client, demo):
    _, app_id = await at_info(client)
    r = await refresh(client, app_id, "site", ("me.png", images.png_photo(), "image/png"), address="北京市海淀区9号")
    assert r.status_code == 422 and "JPG" in field_error(r.text, "photo")
    assert 'value="北京市海淀区9号"' in r.text
    app = await Application.get(id=app_id)
    assert not app.photo and not app.pending_photo


async def test_update_site_without_a_photo_is_as_before(client, demo):
    _, app_id = await at_info(client)
    r = await refresh(client, app_id, "site", None, address="北京市海淀区9号")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info"
    assert not (await Application.get(id=app_id)).photo
