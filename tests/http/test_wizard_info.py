"""报名信息填写: sites by city (full ones refused), subjects and the fee, the photo, the personal sections."""
import re

from models.applications import Application
from models.exams import ExamCity, Site
from models.profiles import Education, Profile
from tests.factories import PERSONAL, at_info, city_and_site, images, submit_info, upload_photo
from tests.factories import csrf_of
from tests.factories import field_error
from tests.factories import post


async def test_page_is_prefilled_from_the_record(client, demo):
    _, app_id = await at_info(client)
    page = await client.get(f"/apply/{app_id}/info")
    assert page.status_code == 200
    assert 'value="首都经济贸易大学"' in page.text and 'value="100010"' in page.text and "确认无误，下一步" in page.text
    assert "不会改变信息采集中的记录" in page.text


async def test_site_list_follows_the_city_and_shows_full_sites(client, demo):
    _, app_id = await at_info(client)
    city = await ExamCity.get(code="110102", exam_province__province_code="11", exam_province__exam__code="demo-chuji")
    r = await client.get(f"/apply/{app_id}/sites?city={city.id}", headers={"HX-Request": "true"})
    assert "<html" not in r.text and "（已满）" in r.text and " disabled" in r.text


async def test_fee_total_is_computed_by_the_server(client, demo):
    _, app_id = await at_info(client)
    r = await client.get(f"/apply/{app_id}/fee?subjects=初级会计实务&subjects=经济法基础", headers={"HX-Request": "true"})
    assert "¥112.00" in r.text  # 北京: 56 yuan per subject, no per-person fee
    r = await client.get(f"/apply/{app_id}/fee?subjects=初级会计实务&subjects=财务管理", headers={"HX-Request": "true"})
    assert "¥56.00" in r.text  # a subject of another level does not count


async def test_photo_exact_size_is_used_and_a_large_one_is_previewed_before_use(client, demo):
    _, app_id = await at_info(client)
    r = await upload_photo(client, app_id, images.photo(295, 413))
    assert r.status_code == 303 and (await Application.get(id=app_id)).photo  # PRG: back to the page
    r = await upload_photo(client, app_id, images.jpeg(1200, 1600, quality=92))
    app = await Application.get(id=app_id)
    r = await client.get(r.headers["location"].split("#")[0])
    assert app.pending_photo and "使用此照片" in r.text and "缩放" in r.text
    token = await csrf_of(client, "/exams")
    await client.post(f"/apply/{app_id}/photo/accept", data={"csrf_token": token})
    app2 = await Application.get(id=app_id)
    assert app2.photo == app.pending_photo and app2.pending_photo is None


async def test_bad_photos_are_refused_and_what_was_typed_is_kept(client, demo):
    _, app_id = await at_info(client)
    token = await csrf_of(client, "/exams")
    for content, fragment in ((images.png_photo(), "JPG"), (images.jpeg(200, 280, quality=95), "295×413"),
                              (images.photo()[:15000], "损坏")):
        r = await client.post(f"/apply/{app_id}/photo", data={"csrf_token": token, "school": "我刚输入的学校"},
                              files={"photo": ("me.jpg", content, "image/jpeg")})
        assert r.status_code == 422 and fragment in field_error(r.text, "photo")
        assert 'value="我刚输入的学校"' in r.text


async def test_complete_info_moves_on_and_does_not_touch_the_record(client, demo):
    account, app_id = await at_info(client)
    await upload_photo(client, app_id)
    r = await submit_info(client, app_id, school="报名时修改的学校")
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/materials"
    app = await Application.get(id=app_id)
    assert app.subjects == ["初级会计实务", "经济法基础"] and app.personal["school"] == "报名时修改的学校"
    assert (await Education.get(account_id=account.id)).school == "首都经济贸易大学"


async def test_site_of_another_city_a_full_site_and_subject_rules(client, demo):
    _, app_id = await at_info(client)
    await upload_photo(client, app_id)
    city, site = await city_and_site()
    other_city, other_site = await city_and_site("110108")
    r = await submit_info(client, app_id, city=city.id, site=other_site.id)
    assert r.status_code == 422 and "所选地市的报名点" in field_error(r.text, "site")
    full = await Site.get(name__contains="已满测试", city__exam_province__exam__code="demo-chuji")
    r = await submit_info(client, app_id, city=full.city_id, site=full.id)
    assert r.status_code == 422 and "已满" in field_error(r.text, "site")
    r = await submit_info(client, app_id, subjects=[])
    assert r.status_code == 422 and "全部2个科目" in field_error(r.text, "subjects")
    r = await submit_info(client, app_id, subjects=["初级会计实务", "财务管理"])
    assert r.status_code == 422 and "初级科目" in field_error(r.text, "subjects")
    assert (await Application.get(id=app_id)).site_id is None


async def test_zhongji_allows_one_to_three_subjects(client, demo):
    _, app_id = await at_info(client, "demo-zhongji")
    await upload_photo(client, app_id)
    city = await ExamCity.filter(code="110105", exam_province__exam__code="demo-zhongji").first()
    site = await Site.filter(city=city, capacity__gte=500).first()
    r = await post(client, f"/apply/{app_id}/info", {"city": city.id, "site": site.id,
                                                     "subjects": ["中级会计实务", "财务管理", "经济法", "经济法基础"], **PERSONAL})
    assert r.status_code == 422 and "中级科目" in field_error(r.text, "subjects")
    r = await post(client, f"/apply/{app_id}/info", {"city": city.id, "site": site.id, "subjects": ["财务管理"],
                                                     **PERSONAL})
    assert r.status_code == 303


async def test_personal_rules_apply_here_too(client, demo):
    _, app_id = await at_info(client)
    await upload_photo(client, app_id)
    r = await submit_info(client, app_id, email="not-an-email", address="<b>x</b>")
    assert r.status_code == 422 and "电子邮箱格式不正确" in r.text and "标记" in r.text
    assert "<b>x</b>" not in r.text


async def test_without_a_photo_the_step_is_not_complete(client, demo):
    account, app_id = await at_info(client)
    await Application.filter(id=app_id).update(photo=None)
    r = await submit_info(client, app_id)
    assert r.status_code == 422 and "请上传个人照片" in r.text


async def test_the_records_photo_is_copied_so_a_later_record_change_leaves_the_application_intact(client, demo, settings):
    from pathlib import Path

    from services.documents import uploads
    account, app_id = await at_info(client)
    name = uploads.store(Path(settings.upload_dir), "photo", images.photo(), ".jpg")
    await Profile.filter(account_id=account.id).update(photo=name)
    await client.get(f"/apply/{app_id}/info")
    app = await Application.get(id=app_id)
    assert app.photo and app.photo != name
    uploads.delete(Path(settings.upload_dir), name)  # the record's photo replaced
    assert (await client.get(f"/files/{app.photo}")).status_code == 200


async def test_no_javascript_city_reload_keeps_what_was_typed(client, demo):
    _, app_id = await at_info(client)
    city, site = await city_and_site()
    # 更新报名点 without JavaScript is a POST of the form (issue 14: nothing typed in a URL), then the page (PRG).
    r = await client.post(f"/apply/{app_id}/info", data={"csrf_token": await csrf_of(client, "/exams"), "refresh": "site",
                                                        "city": str(city.id), "school": "刚输入的学校",
                                                        "subjects": "经济法基础"})
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/info?city={city.id}"
    r = await client.get(r.headers["location"])
    assert 'value="刚输入的学校"' in r.text and f'value="{site.id}"' in r.text
    assert re.search(r'value="经济法基础" checked', r.text) and "¥56.00" in r.text
