"""信息采集: sections saved on their own, the date and text rules, the ID photo, the task list, confirmation."""
import asyncio
from datetime import date, timedelta

import pytest

from models.profiles import Education, Profile
from services.accounts import realname
from tests.factories import images, stored_files
from tests.factories import csrf_of
from tests.factories import field_error, mainland_id, register
from services import clock
from services.clock import now

BASIC = {"ethnicity": "汉族", "political_status": "群众", "address": "北京市东城区东长安街1号", "postcode": "100010",
         "email": "zhang@example.com"}


async def verified_other(client):
    """A second candidate, logged in on its own client."""
    return await register(client, id_number=mainland_id("32010219900307121"), phone="13900139000")


async def verified(client):
    account = await register(client)  # born 1990-03-07 (mainland ID number)
    await realname.mark_verified(account.id, "alipay", now())
    return account


async def post(client, path, data, files=None):
    token = await csrf_of(client, "/profile")
    return await client.post(path, data={"csrf_token": token, **data}, files=files)


async def save_basic(client, **overrides):
    files = {"photo": ("me.jpg", images.photo(), "image/jpeg")}
    data = dict(BASIC)
    for k, v in overrides.items():
        (files if k == "photo" else data)[k] = v
    return await post(client, "/profile/basic", data, {k: v for k, v in files.items() if v is not None})


async def test_task_list_starts_incomplete(client):
    await verified(client)
    page = await client.get("/profile")
    assert page.status_code == 200
    for label in ("基本信息", "学历信息", "学位信息", "工作信息"):
        assert label in page.text
    assert page.text.count("未完成") == 5 and "已完成" not in page.text


async def test_basic_section_saves_with_the_photo_and_shows_derived_fields(client, settings):
    account = await verified(client)
    form = await client.get("/profile/basic")
    assert "1990-03-07" in form.text and "不可修改" in form.text and "男" in form.text
    r = await save_basic(client)
    assert r.status_code == 303
    p = await Profile.get(account_id=account.id)
    assert p.ethnicity == "汉族" and p.postcode == "100010" and p.photo.startswith("photo/") and p.basic_saved
    assert (await client.get(f"/files/{p.photo}")).status_code == 200
    assert "已完成" in (await client.get("/profile")).text


async def test_a_profile_photo_is_shown_to_its_owner_only(client, other_client, settings):
    owner = await verified(client)
    await save_basic(client)
    await verified_other(other_client)
    mine = (await Profile.get(account_id=owner.id)).photo
    assert (await client.get(f"/files/{mine}")).status_code == 200
    assert (await other_client.get(f"/files/{mine}")).status_code == 404  # another candidate, logged in


@pytest.mark.parametrize("overrides,field,fragment", [
    ({"email": "not-an-email"}, "email", "电子邮箱格式不正确"),
    ({"postcode": "1000"}, "postcode", "6位数字"),
    ({"address": "很长" * 51}, "address", "不能超过100个字"),
    ({"address": "<script>alert(1)</script>"}, "address", "标记"),
    ({"ethnicity": "火星族"}, "ethnicity", "请选择民族"),
])
async def test_bad_basic_input_is_refused_and_nothing_is_saved(client, settings, overrides, field, fragment):
    account = await verified(client)
    r = await save_basic(client, **overrides)
    assert r.status_code == 422 and fragment in field_error(r.text, field)
    assert "<script>alert(1)</script>" not in r.text
    p = await Profile.get_or_none(account_id=account.id)
    assert p is None or (not p.basic_saved and p.photo is None)


@pytest.mark.parametrize("photo,fragment", [
    (images.png_photo(), "JPG"),
    (images.jpeg(200, 280, quality=95), "295×413"),
    (images.photo()[:12000], "损坏"),
])
async def test_photo_rules(client, photo, fragment):
    await verified(client)
    r = await save_basic(client, photo=("me.jpg", photo, "image/jpeg"))
    assert r.status_code == 422 and fragment in field_error(r.text, "photo")


async def test_photo_of_nine_kilobytes_is_refused(client):
    from PIL import Image
    import io
    await verified(client)
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 200, 200)).save(out, "JPEG", quality=50)
    small = out.getvalue()
    assert len(small) < 10 * 1024
    r = await save_basic(client, photo=("me.jpg", small, "image/jpeg"))
    assert r.status_code == 422 and "10KB" in field_error(r.text, "photo")


async def test_landscape_photo_is_refused_with_its_size(client):
    await verified(client)
    r = await save_basic(client, photo=("me.jpg", images.jpeg(600, 450, quality=95), "image/jpeg"))
    assert r.status_code == 422 and "3:4" in field_error(r.text, "photo")


async def test_more_than_one_education_and_delete(client, other_client):
    account = await verified(client)
    for level, year in (("大学专科", 2010), ("大学本科", 2013)):
        r = await post(client, "/profile/education", {"level": level, "school": "某某大学", "major": "会计学",
                                                      "graduated_on": f"{year}-07-01", "certificate_no": f"1000{year}"})
        assert r.status_code == 303
    assert await Education.filter(account_id=account.id).count() == 2
    page = await client.get("/profile/education")
    assert "大学专科" in page.text and "大学本科" in page.text
    entry = await Education.filter(account_id=account.id).first()
    # Another candidate cannot delete it by id.
    other = await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    await realname.mark_verified(other.id, "alipay", now())
    r = await post(other_client, f"/profile/education/{entry.id}/delete", {})
    assert r.status_code == 404 and await Education.filter(account_id=account.id).count() == 2
    r = await post(client, f"/profile/education/{entry.id}/delete", {})
    assert r.status_code == 303 and await Education.filter(account_id=account.id).count() == 1


@pytest.mark.parametrize("graduated,fragment", [
    ((clock.today() + timedelta(days=40)).isoformat(), "不能晚于今天"),
    ("2003-06-01", "满14周岁"),
    ("2010-13-01", "格式不正确"),
])
async def test_graduation_date_rules(client, graduated, fragment):
    account = await verified(client)
    r = await post(client, "/profile/education", {"level": "大学本科", "school": "某某大学", "major": "会计学",
                                                  "graduated_on": graduated, "certificate_no": "123"})
    assert r.status_code == 422 and fragment in field_error(r.text, "graduated_on")
    assert await Education.filter(account_id=account.id).count() == 0


async def test_degree_date_not_before_the_matching_education(client):
    account = await verified(client)
    await post(client, "/profile/education", {"level": "大学本科", "school": "某某大学", "major": "会计学",
                                              "graduated_on": "2013-07-01", "certificate_no": "123"})
    r = await post(client, "/profile/degree", {"degree": "学士", "degree_org": "某某大学", "degree_date": "2012-07-01"})
    assert r.status_code == 422 and "不能早于大学本科毕业时间" in field_error(r.text, "degree_date")
    r = await post(client, "/profile/degree", {"degree": "学士", "degree_org": "某某大学", "degree_date": "2013-07-01"})
    assert r.status_code == 303 and (await Profile.get(account_id=account.id)).degree == "学士"


async def test_no_degree_needs_nothing_else(client):
    account = await verified(client)
    r = await post(client, "/profile/degree", {"degree": "无"})
    assert r.status_code == 303 and (await Profile.get(account_id=account.id)).degree == "无"


async def test_work_without_employer_and_with_one(client):
    account = await verified(client)
    assert (await post(client, "/profile/work", {"no_employer": "1"})).status_code == 303
    p = await Profile.get(account_id=account.id)
    assert p.no_employer and p.work_saved and p.employer is None
    r = await post(client, "/profile/work", {"employer": "某某会计师事务所", "employer_province": "44",
                                             "employer_city": "110105", "accounting_start": "2015-09-01"})
    assert r.status_code == 422 and "请选择单位所在城市" in field_error(r.text, "employer_city")
    r = await post(client, "/profile/work", {"employer": "某某会计师事务所", "employer_province": "44",
                                             "employer_city": "440300", "accounting_start": "2001-01-01"})
    assert r.status_code == 422 and "满14周岁" in field_error(r.text, "accounting_start")
    r = await post(client, "/profile/work", {"employer": "某某会计师事务所", "employer_province": "44",
                                             "employer_city": "440300", "accounting_start": "2015-09-01", "position": "会计"})
    assert r.status_code == 303
    p = await Profile.get(account_id=account.id)
    assert p.employer_city == "440300" and p.accounting_start == date(2015, 9, 1) and not p.no_employer


async def test_confirmation_commits_a_complete_record_and_a_later_change_needs_a_new_one(client):
    account = await verified(client)
    r = await post(client, "/profile/confirm", {})
    assert r.headers["location"] == "/profile?incomplete=1"
    await save_basic(client)
    await post(client, "/profile/education", {"level": "大学本科", "school": "某某大学", "major": "会计学",
                                              "graduated_on": "2013-07-01", "certificate_no": "123"})
    await post(client, "/profile/degree", {"degree": "无"})
    await post(client, "/profile/work", {"no_employer": "1"})
    page = await client.get("/profile")
    assert page.text.count("已完成") == 4 and "确认提交" in page.text
    assert (await post(client, "/profile/confirm", {})).headers["location"] == "/profile?confirmed=1"
    assert (await Profile.get(account_id=account.id)).confirmed_at is not None
    await post(client, "/profile/degree", {"degree": "无"})
    assert (await Profile.get(account_id=account.id)).confirmed_at is None


async def test_profile_pages_need_verification(client):
    await register(client)
    for path in ("/profile/basic", "/profile/education", "/profile/degree", "/profile/work"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/realname")


async def test_work_form_without_javascript_reloads_with_the_cities_and_keeps_what_was_typed(client):
    await verified(client)
    # Issue 14: no reload carrying the form in its URL; without JavaScript the city list holds every province's.
    r = await client.get("/profile/work?employer=某某公司&employer_province=44")
    assert 'value="440300"' in r.text and 'value="某某公司"' not in r.text and '<optgroup label="广东">' in r.text


async def test_passport_holder_enters_gender_and_birth_date(client):
    account = await register(client, id_type="passport", id_number="E1234567", name="John Smith")
    await realname.mark_verified(account.id, "alipay", now())
    form = await client.get("/profile/basic")
    assert 'id="gender"' in form.text and 'id="birth_date"' in form.text
    r = await save_basic(client, gender="男", birth_date="1988-02-30")
    assert r.status_code == 422 and "年-月-日" in field_error(r.text, "birth_date")
    r = await save_basic(client, gender="男", birth_date="1988-02-28", ethnicity="其他")
    assert r.status_code == 303
    p = await Profile.get(account_id=account.id)
    assert p.gender == "男" and p.birth_date == date(1988, 2, 28)
    # The 14-year rule now uses that birth date.
    r = await post(client, "/profile/education", {"level": "大学本科", "school": "Some University", "major": "Accounting",
                                                  "graduated_on": "2001-07-01", "certificate_no": "X1"})
    assert r.status_code == 422 and "满14周岁" in field_error(r.text, "graduated_on")


async def test_reading_the_record_creates_nothing(client):
    await verified(client)
    for path in ("/profile", "/profile/basic", "/profile/education", "/profile/degree", "/profile/work"):
        assert (await client.get(path)).status_code == 200
    assert await Profile.all().count() == 0


def _stored(settings) -> list[str]:
    return sorted(p.relative_to(settings.upload_dir).as_posix() for p in stored_files(settings))


async def test_a_new_photo_replaces_the_old_file_and_a_save_without_one_keeps_it(client, settings):
    account = await verified(client)
    await save_basic(client)
    first = (await Profile.get(account_id=account.id)).photo
    assert (await save_basic(client)).status_code == 303
    second = (await Profile.get(account_id=account.id)).photo
    assert second != first and _stored(settings) == [second]
    assert (await save_basic(client, photo=None)).status_code == 303
    assert (await Profile.get(account_id=account.id)).photo == second and _stored(settings) == [second]


async def test_photos_saved_at_the_same_time_leave_one_file_the_record_points_at(client, settings):
    account = await verified(client)
    answers = await asyncio.gather(*(save_basic(client) for _ in range(4)))
    assert [r.status_code for r in answers] == [303] * 4
    assert _stored(settings) == [(await Profile.get(account_id=account.id)).photo]


async def test_a_record_without_education_is_not_confirmed(client):
    account = await verified(client)
    await save_basic(client)
    await post(client, "/profile/degree", {"degree": "无"})
    await post(client, "/profile/work", {"no_employer": "1"})
    r = await post(client, "/profile/confirm", {})
    assert r.headers["location"] == "/profile?incomplete=1"
    assert (await Profile.get(account_id=account.id)).confirmed_at is None


async def test_adding_or_deleting_an_education_needs_a_new_confirmation(client):
    account = await verified(client)
    await save_basic(client)
    await post(client, "/profile/degree", {"degree": "无"})
    await post(client, "/profile/work", {"no_employer": "1"})
    entry = {"level": "大学本科", "school": "某某大学", "major": "会计学", "graduated_on": "2013-07-01",
             "certificate_no": "123"}
    await post(client, "/profile/education", entry)
    assert (await post(client, "/profile/confirm", {})).headers["location"] == "/profile?confirmed=1"
    await post(client, "/profile/education", dict(entry, level="研究生", graduated_on="2016-07-01"))
    assert (await Profile.get(account_id=account.id)).confirmed_at is None
    assert (await post(client, "/profile/confirm", {})).headers["location"] == "/profile?confirmed=1"
    first = await Education.filter(account_id=account.id).first()
    await post(client, f"/profile/education/{first.id}/delete", {})
    assert (await Profile.get(account_id=account.id)).confirmed_at is None
