"""Changes of a draft (services.registration.drafts): each says what happened, a change that finds the
application submitted meanwhile is refused with a message and leaves its files, the registration window
closes uploads too, and 提交 submits the rows as they are when it runs."""
import io
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.datastructures import UploadFile

from models.applications import Application, Material
from models.exams import ExamProvince
from services.clock import now
from services.registration import drafts, submission
from tests.factories import at_step, csrf_of, images, pdf, post, stored_files, submitted, upload, upload_photo


async def draft_of(app_id: int):
    """The application and its province as a request that began before 提交 read them."""
    app = await Application.get(id=app_id).select_related("exam")
    return app, await ExamProvince.get(id=app.province_id)


def a_file(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), filename=name)


async def test_a_change_that_finds_the_application_submitted_is_refused_and_leaves_its_files(client, demo, settings):
    _, app_id, _ = await at_step(client)
    assert (await upload(client, app_id, "学历证书（选传）", pdf(1))).status_code == 303
    assert (await upload_photo(client, app_id, images.jpeg(1200, 1600, quality=92))).status_code == 303  # pending
    app, ep = await draft_of(app_id)  # read as a draft ...
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303  # ... submitted in another tab
    files = set(stored_files(settings))
    upload_dir = Path(settings.upload_dir)

    refused = await drafts.upload_photo(app, ep, upload_dir, a_file("me.jpg", images.photo(295, 413)))
    assert refused.refused and refused.error == "该报名已提交，不能再修改"
    assert not (await drafts.accept_photo(app, upload_dir)).applied
    item = submission.required_materials(ep, app.condition)[0]
    assert (await drafts.upload_material(app, upload_dir, item, a_file("x.pdf", pdf(2)))).refused
    material = await Material.get(application_id=app_id)
    assert not (await drafts.delete_material(app, upload_dir, material.id)).applied
    assert not await drafts.save_info(app, app.site_id, app.subjects, {"school": "改了"})
    assert not await drafts.choose_condition(app, "chuji_high_school")

    assert set(stored_files(settings)) == files  # nothing deleted, the new files removed
    stored = await Application.get(id=app_id)
    assert stored.status == "submitted" and stored.personal["school"] != "改了"
    assert all((upload_dir / name).exists() for name in stored.submission.files)


async def test_after_submission_the_info_and_materials_pages_send_the_candidate_to_the_review_notice(client, demo,
                                                                                                   settings):
    app_id, _ = await submitted(client)
    files = set(stored_files(settings))
    r = await upload_photo(client, app_id)
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/result"
    r = await upload(client, app_id, "学历证书（选传）", pdf(1))
    assert r.status_code == 303 and r.headers["location"] == f"/apply/{app_id}/result"
    assert set(stored_files(settings)) == files


@pytest.mark.parametrize("path", ["photo", "photo/accept", "materials/upload", "materials", "info", "sites", "fee"])
async def test_the_registration_window_closes_every_request_of_the_draft_uploads_included(client, app, demo, settings,
                                                                                         path):
    _, app_id, _ = await at_step(client)
    await post(client, f"/apply/{app_id}/materials")
    await ExamProvince.filter(province_code="11", exam__code="demo-chuji").update(reg_end=now() - timedelta(hours=1))
    app.state.reference.clear()
    files = set(stored_files(settings))
    token = await csrf_of(client, "/exams")
    r = await client.post(f"/apply/{app_id}/{path}", data={"csrf_token": token, "item": "学历证书（选传）"},
                          files={"photo": ("me.jpg", images.photo(), "image/jpeg"),
                                 "file": ("x.pdf", pdf(1), "application/pdf")})
    if path in ("sites", "fee"):
        r = await client.get(f"/apply/{app_id}/{path}")
    assert r.status_code == 403 and "报名已结束" in r.text
    assert set(stored_files(settings)) == files


async def test_submission_takes_the_rows_as_they_are_when_it_runs(client, demo, settings):
    account, app_id, _ = await at_step(client)
    await post(client, f"/apply/{app_id}/materials")
    app, ep = await draft_of(app_id)
    old_photo = app.photo
    stale, _ = await draft_of(app_id)
    # A photo uploaded in another tab after this request read the draft.
    assert (await drafts.upload_photo(app, ep, Path(settings.upload_dir), a_file("me.jpg", images.photo(295, 413)))).error == ""
    assert app.photo != old_photo and app.version == stale.version + 1
    assert await submission.submit(stale, ep, account, now(), commitment=False, upload_dir=settings.upload_dir) == "submitted"
    stored = await Application.get(id=app_id)
    assert stored.submission.photo == stored.photo == app.photo
    assert not (Path(settings.upload_dir) / old_photo).exists()


async def test_submission_refuses_a_draft_whose_step_was_undone_meanwhile(client, demo, settings):
    account, app_id, _ = await at_step(client, "demo-zhongji")
    for item in ("学历证书", "会计工作年限证明"):
        assert (await upload(client, app_id, item, pdf(1))).status_code == 303
    assert (await post(client, f"/apply/{app_id}/materials")).status_code == 303
    app, ep = await draft_of(app_id)
    material = await Material.get(application_id=app_id, item="学历证书")
    assert (await drafts.delete_material(app, Path(settings.upload_dir), material.id)).applied
    with pytest.raises(submission.SubmitError, match="请先完成“证明材料上传”"):
        await submission.submit(app, ep, account, now(), commitment=False, upload_dir=settings.upload_dir)
    assert (await Application.get(id=app_id)).status == "draft"


async def test_another_condition_opens_the_materials_step_again(client, demo):
    _, app_id, _ = await at_step(client)
    assert (await post(client, f"/apply/{app_id}/materials")).status_code == 303
    app = await Application.get(id=app_id)
    assert app.materials_done and app.info_done and "complete" not in app.personal
    assert (await post(client, f"/apply/{app_id}/condition", {"condition": "chuji_high_school"})).status_code == 303
    assert (await Application.get(id=app_id)).materials_done  # the same condition: nothing to do again
    await Application.filter(id=app_id).update(condition="zhongji_benke")
    assert (await post(client, f"/apply/{app_id}/condition", {"condition": "chuji_high_school"})).status_code == 303
    assert not (await Application.get(id=app_id)).materials_done
