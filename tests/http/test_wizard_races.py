"""Changes of a draft landing at the same moment as its 提交: whatever wins, the submitted application keeps
every file its snapshot refers to, and no file any row refers to is ever deleted."""
import asyncio
import random
import secrets
from pathlib import Path

from models.applications import Application, Material
from models.exams import ExamProvince, Site
from services.clock import now
from services.documents import uploads
from services.registration import submission
from tests.factories import candidate, csrf_of, images, pdf

ROUNDS = 50
PHOTO, PREVIEW, PDF = images.photo(295, 413), images.photo(), pdf(1)  # used as they are / adjusted / a material
ITEMS = ("学历证书", "会计工作年限证明")  # 北京 中级 (zhongji_benke): both required


async def draft_at_confirm(account, ep, site, upload_dir) -> Application:
    """A draft with every step done up to 信息确认, a photo, a pending (adjusted) photo and both materials."""
    def store(kind: str, data: bytes, extension: str) -> str:  # as uploads.store, without its fsyncs
        name = f"{kind}/{secrets.token_hex(16)}{extension}"
        uploads.path_of(upload_dir, name).parent.mkdir(parents=True, exist_ok=True)
        uploads.path_of(upload_dir, name).write_bytes(data)
        return name

    at = now()
    app = await Application.create(
        account=account, exam_id=ep.exam_id, active_key=f"{account.id}:{ep.exam_id}", province=ep,
        notice_agreed_at=at, announcements_read_at=at, condition="zhongji_benke", site=site, subjects=["财务管理"],
        photo=store("photo", PHOTO, ".jpg"), pending_photo=store("photo", PREVIEW, ".jpg"),
        personal={"school": "某大学"}, info_done=True, materials_done=True)
    for item in ITEMS:
        await Material.create(application=app, item=item, stored=store("material", PDF, ".pdf"), kind="pdf")
    return app


async def referenced_files() -> tuple[set[str], set[str]]:
    """(every stored file a row refers to, the files of the submitted applications' snapshots)."""
    rows, snapshots = set(), set()
    for app in await Application.all():
        rows |= {name for name in (app.photo, app.pending_photo) if name}
        if app.submission:
            rows |= app.submission.files
            if app.status == "submitted":
                snapshots |= app.submission.files
    rows |= set(await Material.all().values_list("stored", flat=True))
    return rows, snapshots


async def test_uploads_racing_submission_never_leave_a_submitted_application_without_its_files(client, demo, settings,
                                                                                               monkeypatch):
    upload_dir = Path(settings.upload_dir)
    account = await candidate(client)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-zhongji")
    site = await Site.filter(city__exam_province=ep, city__code="110105", capacity__gte=ROUNDS).first()
    token = await csrf_of(client, "/exams")
    attempts = []  # 提交's attempts that found the draft changed since its snapshot: the race was reached
    one_attempt = submission._submit_at_version

    async def counted(*args):
        status = await one_attempt(*args)
        attempts.append(status)
        return status

    monkeypatch.setattr(submission, "_submit_at_version", counted)
    # Between reading the draft and moving it, an attempt builds the snapshot: on PostgreSQL each of its queries
    # lets the other requests run; on SQLite the queries are answered in the event loop without a pause, so the
    # window is widened here as a slower database would make it.
    snapshot_and_city = submission._snapshot_and_city

    async def slower(*args):
        await asyncio.sleep(0.005)
        return await snapshot_and_city(*args)

    monkeypatch.setattr(submission, "_snapshot_and_city", slower)
    rnd = random.Random(10)
    answers = {"submit": [], "photo": [], "accept": [], "upload": [], "delete": []}
    for _ in range(ROUNDS):
        app = await draft_at_confirm(account, ep, site, upload_dir)
        base, deleted = f"/apply/{app.id}", (await Material.get(application=app, item=ITEMS[1])).id
        requests = {
            "submit": lambda: client.post(f"{base}/confirm", data={"csrf_token": token}),
            "photo": lambda: client.post(f"{base}/photo", data={"csrf_token": token},
                                         files={"photo": ("me.jpg", PHOTO, "image/jpeg")}),
            "accept": lambda: client.post(f"{base}/photo/accept", data={"csrf_token": token}),
            "upload": lambda: client.post(f"{base}/materials/upload", data={"csrf_token": token, "item": ITEMS[0]},
                                          files={"file": ("x.pdf", PDF, "application/pdf")}),
            # (a required item deleted first makes 提交 refuse: only in some rounds)
            "delete": lambda: client.post(f"{base}/materials/{deleted}/delete", data={"csrf_token": token}),
        }
        if rnd.random() < 0.7:
            del requests["delete"]

        async def after_a_while(send, pause):
            await asyncio.sleep(pause)
            return await send()

        sent = await asyncio.gather(*(after_a_while(send, rnd.random() * 0.03) for send in requests.values()))
        for name, r in zip(requests, sent):
            assert r.status_code in (200, 303, 409, 422), (name, r.status_code)
            answers[name].append(r.status_code)

        on_rows, in_snapshots = await referenced_files()
        missing = {name for name in on_rows | in_snapshots if not uploads.path_of(upload_dir, name).exists()}
        assert not missing, missing
        stored = await Application.get(id=app.id)
        if stored.status == "submitted":  # nothing changed after the snapshot: it is what the rows hold
            s = stored.submission
            assert s.photo == stored.photo
            materials = await Material.filter(application_id=app.id).order_by("id")
            assert [(m.item, m.stored, m.pages) for m in s.materials] == [(m.item, m.stored, m.pages) for m in materials]
        await Application.filter(id=app.id).update(active_key=None)  # the next round's draft
    # Both sides of the race were reached: changes that landed while 提交 was under way, and changes refused
    # because 提交 came first.
    assert None in attempts and 303 in answers["submit"], (attempts, answers)
    assert 409 in answers["photo"] + answers["accept"] + answers["upload"] + answers["delete"]
