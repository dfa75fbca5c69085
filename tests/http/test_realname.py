"""实名认证: required before 信息采集; Alipay sandbox; 线上实名认证 uploads with every bad-input rule."""
import asyncio
import re
from pathlib import Path

import pytest

from models.accounts import Account
from models.profiles import RealnameRequest
from services.accounts import realname
from tests.factories import images, post_online, reviewer_client, stored_files
from tests.factories import csrf_of
from tests.factories import mainland_id, register
from services.clock import now


async def test_profile_without_verification_shows_the_realname_window(client):
    await register(client)
    r = await client.get("/profile")
    assert r.status_code == 303 and r.headers["location"] == "/realname?next=/profile"
    page = await client.get("/realname?next=/profile")
    assert "支付宝实名认证" in page.text and "线上实名认证" in page.text and "<html" in page.text
    modal = await client.get("/realname?next=/profile", headers={"HX-Request": "true"})
    assert '<dialog open class="modal"' in modal.text and "<html" not in modal.text


async def test_alipay_sandbox_verifies_the_account(client, other_client):
    account = await register(client)
    r = await client.post("/realname/alipay", data={"csrf_token": await csrf_of(client, "/realname")})
    assert r.status_code == 303
    status_url = r.headers["location"]
    page = await client.get(status_url)
    assert 'src="data:image/svg+xml' in page.text and "等待支付宝确认授权" in page.text
    scan_url = re.search(r'id="sandbox-scan"', page.text) and re.search(r'href="(http[^"]+/dev/alipay/certify[^"]+)"',
                                                                      page.text).group(1)
    scan_path = scan_url.split("testserver", 1)[-1].split(":8000", 1)[-1].replace("&amp;", "&")
    phone = await other_client.get(scan_path)
    assert "确认授权" in phone.text and "张*丰" in phone.text
    token = re.search(r'name="csrf_token" value="(\w+)"', phone.text).group(1)
    await other_client.post(scan_path, data={"csrf_token": token})
    poll = await client.get(status_url, headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll.headers["hx-redirect"] == "/profile?verified=1"
    account = await Account.get(id=account.id)
    assert account.realname_at is not None and account.realname_method == "alipay"
    assert (await client.get("/profile")).status_code == 200


async def test_another_account_cannot_poll_my_alipay_certification(client, other_client):
    await register(client)
    r = await client.post("/realname/alipay", data={"csrf_token": await csrf_of(client, "/realname")})
    await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    assert (await other_client.get(r.headers["location"])).status_code == 404


async def test_online_request_waits_for_review_then_approval_verifies(client, settings):
    account = await register(client)
    r = await post_online(client)
    assert r.status_code == 303
    row = await RealnameRequest.get(account_id=account.id)
    assert row.status == "pending" and row.city_code == "110105"
    assert len(stored_files(settings)) == 3
    page = await client.get("/realname")
    assert "待审核" in page.text
    assert (await client.get("/profile")).status_code == 303  # still not verified
    assert await realname.decide(row.id, True, None, "测试", now()) is None
    assert "您已通过实名认证" in (await client.get("/realname")).text
    assert (await client.get("/profile")).status_code == 200
    # A second decision changes nothing and says who decided.
    assert "已由测试审核" in await realname.decide(row.id, False, "照片不清晰", "另一人", now())


async def test_rejected_request_shows_the_reason_and_allows_a_new_upload(client):
    account = await register(client)
    await post_online(client)
    row = await RealnameRequest.get(account_id=account.id)
    assert await realname.decide(row.id, False, "", "测试", now()) == "请填写不通过的原因"
    await realname.decide(row.id, False, "证件照片不清晰", "测试", now())
    page = await client.get("/realname")
    assert "未通过" in page.text and "证件照片不清晰" in page.text and "提交审核" in page.text
    assert (await post_online(client)).status_code == 303
    assert await RealnameRequest.filter(account_id=account.id).count() == 2


async def test_png_renamed_jpg_is_accepted_as_png(client, settings):
    await register(client)
    r = await post_online(client, front=("front.jpg", images.png(), "image/jpeg"))
    assert r.status_code == 303
    row = await RealnameRequest.first()
    assert row.front.endswith(".png")


@pytest.mark.parametrize("content,fragment", [
    (b"this is not an image at all", "JPG"),
    (images.jpeg()[:4000], "损坏"),
    (images.gif(), "JPG"),
    (images.bomb(), "尺寸过大"),
    (images.jpeg(300, 200), "600×400"),
    (b"", "为空"),
])
async def test_bad_upload_is_refused_with_the_rule_and_nothing_is_kept(client, settings, content, fragment):
    await register(client)
    r = await post_online(client, back=("back.jpg", content, "image/jpeg"))
    assert r.status_code == 422
    message = re.search(r'id="back-error">(.*?)</p>', r.text).group(1)
    assert fragment in message
    assert await RealnameRequest.all().count() == 0
    assert stored_files(settings) == []


async def test_six_megabyte_file_is_refused(client, settings):
    await register(client)
    big = images.jpeg() + b"\0" * (6 * 1024 * 1024)
    r = await post_online(client, handheld=("hand.jpg", big, "image/jpeg"))
    assert r.status_code == 422 and "5MB" in re.search(r'id="handheld-error">(.*?)</p>', r.text).group(1)
    assert stored_files(settings) == [] and await RealnameRequest.all().count() == 0


async def test_missing_city_and_missing_image(client, settings):
    await register(client)
    r = await post_online(client, city="999999", front=None)
    assert r.status_code == 422 and "请选择所在城市" in r.text and "请上传证件人像面" in r.text
    assert stored_files(settings) == []


async def test_exif_location_is_removed_from_stored_images(client, settings):
    from PIL import Image
    await register(client)
    exif = Image.Exif()
    exif[0x8825] = {2: (39.0, 54.0, 27.0), 1: "N"}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    await post_online(client, front=("front.jpg", images.jpeg(exif=exif), "image/jpeg"))
    row = await RealnameRequest.first()
    from services.documents import uploads
    with Image.open(uploads.path_of(Path(settings.upload_dir), row.front)) as img:
        assert not img.getexif() and "exif" not in img.info


async def test_uploads_are_served_only_to_their_owner(client, other_client):
    await register(client)
    await post_online(client)
    row = await RealnameRequest.first()
    own = await client.get(f"/files/{row.front}")
    assert own.status_code == 200 and own.headers["content-type"] == "image/jpeg"
    await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    assert (await other_client.get(f"/files/{row.front}")).status_code == 404
    assert (await other_client.get("/files/realname/../../secret_key")).status_code == 404


async def test_city_select_follows_the_province(client):
    r = await client.get("/regions/cities?province=44&name=city", headers={"HX-Request": "true"})
    assert 'value="440300"' in r.text and "深圳市" in r.text and "<html" not in r.text


async def test_without_javascript_the_province_reload_fills_the_city_list(client):
    await register(client)
    r = await client.get("/realname?province=44&refresh=1")
    assert 'value="440300"' in r.text and '<option value="44" selected>' in r.text


async def test_uploads_are_served_to_reviewers_in_scope_only(client, app):
    await register(client)
    await post_online(client)  # 北京 110105
    row = await RealnameRequest.first()
    async with await reviewer_client(app, "11") as beijing, await reviewer_client(app, "31") as shanghai, \
            await reviewer_client(app, "11", "110101") as other_city:
        assert (await beijing.get(f"/files/{row.handheld}")).status_code == 200
        assert (await shanghai.get(f"/files/{row.handheld}")).status_code == 404
        assert (await other_city.get(f"/files/{row.handheld}")).status_code == 404


async def test_two_submissions_at_once_make_one_request_and_keep_only_its_files(client, settings):
    account = await register(client)
    answers = await asyncio.gather(post_online(client), post_online(client))
    assert sorted(r.headers["location"] for r in answers) == ["/realname", "/realname?submitted=1"]
    row = await RealnameRequest.get(account_id=account.id)
    root = Path(settings.upload_dir)
    assert sorted(p.relative_to(root).as_posix() for p in stored_files(settings)) == sorted(
        [row.front, row.back, row.handheld])


async def test_a_submission_after_verification_keeps_no_file(client, settings):
    from services.documents import uploads
    account = await register(client)
    await realname.mark_verified(account.id, "alipay", now())
    image = uploads.CleanImage(images.jpeg(), "JPEG", 800, 600)
    assert not await realname.submit_online(account.id, "11", "110105", dict.fromkeys(realname.IMAGE_FIELDS, image),
                                            settings.upload_dir)
    assert stored_files(settings) == [] and await RealnameRequest.all().count() == 0


# ---------------------------------------------------------------------- one pending request (issue 11, defect 6)


def clean_images() -> dict:
    from services.documents import uploads
    return dict.fromkeys(realname.IMAGE_FIELDS, uploads.CleanImage(images.jpeg(), "JPEG", 800, 600))


async def test_twenty_submissions_at_once_make_one_request_and_keep_its_three_files(client, settings):
    account = await register(client)
    answers = await asyncio.gather(*(realname.submit_online(account.id, "11", "110105", clean_images(),
                                                            settings.upload_dir) for _ in range(20)))
    assert answers.count(True) == 1
    row = await RealnameRequest.get(account_id=account.id)
    assert row.status == "pending" and row.pending_key == account.id
    root = Path(settings.upload_dir)
    assert sorted(p.relative_to(root).as_posix() for p in stored_files(settings)) == sorted(
        [row.front, row.back, row.handheld])


async def test_the_database_refuses_a_second_pending_request_and_a_decision_frees_the_account(client, settings):
    from tortoise.exceptions import IntegrityError
    account = await register(client)
    assert await realname.submit_online(account.id, "11", "110105", clean_images(), settings.upload_dir)
    first = await RealnameRequest.get(account_id=account.id)
    with pytest.raises(IntegrityError):  # whatever code tries it, not only submit_online's own path
        await RealnameRequest.create(account_id=account.id, province_code="11", city_code="110105", front="a",
                                     back="b", handheld="c", pending_key=account.id)
    assert await realname.decide(first.id, False, "证件照片不清晰", "beijing", now()) is None
    assert (await RealnameRequest.get(id=first.id)).pending_key is None
    assert await realname.decide(first.id, True, None, "shanghai", now()) == "该申请已由beijing审核"
    assert await realname.submit_online(account.id, "11", "110105", clean_images(), settings.upload_dir)
    second = await RealnameRequest.get(account_id=account.id, status="pending")
    assert await realname.decide(second.id, True, None, "beijing", now()) is None
    assert (await Account.get(id=account.id)).realname_method == "online"
    assert await realname.decide(999999, True, None, "beijing", now()) == "申请不存在"

