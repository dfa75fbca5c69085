"""提交: one atomic step. The application leaves DRAFT by a conditional update (a double click or a second tab
changes nothing), and the site place is taken by `UPDATE site SET taken = taken + 1 WHERE id = ? AND
taken < capacity` in the same transaction: two candidates cannot both take the last place.

What reviewers see and the form prints is the snapshot made here, not the live rows: it is read at one
`version` of the draft, and the conditional update also requires that version, so a change of the draft that
lands at the same moment (drafts.py) is either in the snapshot or refused, never lost nor left pointing at
deleted files. Lock order: the application row, then the site, then its orders (db.transactions documents the
whole order, and `transactions.atomic` runs again a transaction the database aborted as a deadlock).
"""
from __future__ import annotations

import anyio.to_thread
from tortoise.expressions import F

from db import transactions
from models.applications import Application, Material, Status
from models.snapshot import (CandidateFacts, ConditionFacts, ExamFacts, MaterialFile, Personal, ProvinceFacts, SiteFacts,
                             Snapshot)
from models.exams import ExamProvince, Site
from models.payments import Order, OrderStatus
from models.reviews import ReviewLog
from services import metrics
from services.notifications import events as notifications
from services.registration import eligibility, fees, photo_check, wizard
from services.documents import uploads
from services.providers.payment import PaymentProvider
from services.reference.regions import PROVINCES

ATTEMPTS = 5  # 提交 against changes landing at the same moment (see submit)


class SubmitError(Exception):
    pass


def required_materials(ep: ExamProvince, condition: str | None) -> list[dict]:
    return [m for m in ep.materials if not m.get("conditions") or condition in m["conditions"]]


async def snapshot(app: Application, ep: ExamProvince, account) -> Snapshot:
    """What 提交 would fix now: the draft's rows (its site and 证明材料 read here) as reviewers will see them."""
    return (await _snapshot_and_city(app, ep, account))[0]


async def _snapshot_and_city(app: Application, ep: ExamProvince, account) -> tuple[Snapshot, str]:
    site = await Site.get(id=app.site_id).select_related("city")
    files = await Material.filter(application_id=app.id).order_by("id")
    return Snapshot(
        exam=ExamFacts(app.exam.name, app.exam.level, app.exam.year),
        province=ProvinceFacts(ep.province_code, PROVINCES[ep.province_code]),
        city=site.city.name, site=SiteFacts(site.name, site.address),
        subjects=tuple(app.subjects), fee_fen=fees.fee_fen(ep, app.subjects),
        condition=ConditionFacts(app.condition, eligibility.CONDITIONS[app.condition][1]),
        candidate=CandidateFacts(account.name, account.id_type, account.id_number, account.phone, account.gender,
                                 account.birth_date.isoformat() if account.birth_date else None),
        photo=app.photo, personal=Personal.from_values(app.personal),
        materials=tuple(MaterialFile(m.item, m.stored, m.kind, m.pages) for m in files),
        review_mode=ep.review_mode), site.city.code


async def photo_flag_of(app: Application, ep: ExamProvince, upload_dir) -> str | None:
    """The automatic photo check where the province uses it: a flag for the reviewers, never a refusal."""
    if not (ep.photo_check and app.photo and upload_dir):
        return None
    try:
        data = uploads.path_of(upload_dir, app.photo).read_bytes()
    except (uploads.UploadError, OSError):
        return None
    return await anyio.to_thread.run_sync(photo_check.check, data)


async def submit(app: Application, ep: ExamProvince, account, now, *, commitment: bool, upload_dir=None) -> str:
    """Submit the draft as it stands. Returns the new status (or the one it already had: the first click won);
    raises SubmitError with the message for the page.

    The snapshot is built from the rows at one version of the draft and the application moves only if it is
    still at that version: a change that lands meanwhile (a photo or a 证明材料 uploaded in another tab at the
    same moment, see drafts) makes it read the rows again and try again, at most ATTEMPTS times.
    """
    if ep.review_mode == "commitment" and not commitment:
        raise SubmitError("请阅读并勾选告知承诺")
    for _ in range(ATTEMPTS):
        row = await Application.get(id=app.id)
        if row.status != Status.DRAFT:
            return row.status
        row.exam = app.exam
        step = wizard.first_incomplete(row, ep)  # a step undone in another tab meanwhile (a material deleted)
        if step.id != "confirm":
            raise SubmitError(f"请先完成“{step.label}”后再提交")
        status = await _submit_at_version(row, ep, account, now, upload_dir)
        if status:
            return status
    raise SubmitError("报名信息正在修改，请稍后重新提交")


async def _submit_at_version(app: Application, ep: ExamProvince, account, now, upload_dir) -> str | None:
    """One attempt, with `app` as read at its version: the new status, or None if the draft changed since."""
    flag = await photo_flag_of(app, ep, upload_dir)
    snap, city = await _snapshot_and_city(app, ep, account)
    # 告知承诺: no manual review, the application is approved at once.
    status = Status.APPROVED if ep.review_mode == "commitment" else Status.SUBMITTED
    async def move() -> str | None:
        # Lock order (db.transactions): the application row, then the site.
        moved = await Application.filter(id=app.id, status=Status.DRAFT, version=app.version).update(
            status=status, submitted_at=now, snapshot=snap.to_json(),
            commitment_signed_at=now if ep.review_mode == "commitment" else None,
            reviewed_at=now if status == Status.APPROVED else None,
            reviewed_by="系统" if status == Status.APPROVED else None, review_reason=None,
            city_code=city, cand_name=account.name, id_last4=account.id_number[-4:], photo_flag=flag)
        if not moved:
            return None  # changed or submitted meanwhile: the caller reads it again
        took = await Site.filter(id=app.site_id, taken__lt=F("capacity")).update(taken=F("taken") + 1)
        if not took:
            raise SubmitError("该报名点已满，请返回“报名信息填写”选择其他报名点")  # rolls the status back too
        await ReviewLog.record(app.id, "resubmit" if app.resubmitted else "submit", Status.DRAFT, Status.SUBMITTED, now)
        if status == Status.APPROVED:
            log = await ReviewLog.record(app.id, "approve", Status.SUBMITTED, Status.APPROVED, now, actor="系统",
                                         reason="告知承诺")
            await notifications.review_outcome(app.id, True, None, log.id, now)  # 审核通过's 消息 and SMS
        return status

    if await transactions.atomic(move) is None:
        return None
    metrics.submission()  # committed: this attempt moved the draft
    earlier = app.submission  # a rejected application submitted again: its old snapshot is replaced
    if earlier and upload_dir:
        uploads.drop_after(upload_dir, uploads.Change(True, tuple(earlier.files - snap.files - {app.pending_photo})))
    return status


HOLDS_PLACE = (Status.SUBMITTED, Status.APPROVED, Status.REJECTED)


async def withdraw(app: Application, now, payments: PaymentProvider) -> bool:
    """重新报名: the application is kept as 已撤销 (never deleted), its site place is freed. Not after payment.

    The status condition makes it happen once; the place is given back only if this application held one.
    Its open orders are closed, here and then at the gateway (`payments`), so that a payment page still open
    in another tab cannot be paid. False when refused (paid, or withdrawn already).
    """
    async def change() -> list[str] | None:
        # Lock order (db.transactions): the application row, then the site, then its orders. The lock comes
        # before the read, so the status read is the one the update below changes.
        await transactions.lock(Application, id=app.id)
        current = await Application.get(id=app.id)
        if current.status in (Status.PAID, Status.WITHDRAWN):
            return None
        moved = await Application.filter(id=app.id, status=current.status).update(status=Status.WITHDRAWN,
                                                                                   active_key=None)
        if not moved:
            return None
        if current.status in HOLDS_PLACE and current.site_id:
            await Site.filter(id=current.site_id, taken__gt=0).update(taken=F("taken") - 1)
        if current.status != Status.DRAFT or current.resubmitted:  # a draft never submitted has no history
            await ReviewLog.record(app.id, "withdraw", current.status, Status.WITHDRAWN, now)
        numbers = await Order.filter(open_key=app.id, status=OrderStatus.OPEN).values_list("number", flat=True)
        await Order.filter(open_key=app.id, status=OrderStatus.OPEN).update(status=OrderStatus.CLOSED, open_key=None,
                                                                            closed_at=now)
        return numbers

    numbers = await transactions.atomic(change)
    if numbers is None:
        return False
    for number in numbers:
        await payments.close(number)
    return True


async def reopen_rejected(app: Application, now) -> bool:
    """A rejected application goes back to the candidate to correct: its place is freed until 提交 again."""
    async def change() -> bool:
        # Lock order (db.transactions): the application row, then the site.
        moved = await Application.filter(id=app.id, status=Status.REJECTED).update(
            status=Status.DRAFT, submitted_at=None, resubmitted=True, materials_done=False, version=F("version") + 1)
        if not moved:
            return False
        if app.site_id:
            await Site.filter(id=app.site_id, taken__gt=0).update(taken=F("taken") - 1)
        await ReviewLog.record(app.id, "reopen", Status.REJECTED, Status.DRAFT, now)
        return True

    return await transactions.atomic(change)
