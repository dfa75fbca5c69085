"""审核 decisions: 通过 / 不通过 (one, or 批量通过) and 照片复核, each logged (models.reviews.ReviewLog).

Each is one conditional update inside the scope, whose row count says whether it took effect: of two
reviewers (or a reviewer and the candidate withdrawing) only one changes the row, and only that one logs.
"""
from __future__ import annotations

from tortoise.transactions import in_transaction

from models.applications import Application, Status
from models.reviews import ReviewLog
from services.notifications import events as notifications
from services.review.scope import Scope, in_scope

PHOTO_REASON = "照片不符合要求"
NOT_IN_SCOPE = "不在您的审核范围内或不存在"


def reject_reason(form, templates: list[str]) -> tuple[str, str | None]:
    """The reason from the template select (reason_choice) and/or the text (reason). Returns (reason, error)."""
    choice, text = form.get("reason_choice"), form.get("reason")
    # 照片复核's button gives PHOTO_REASON whether or not the province lists it among its templates.
    if choice and choice not in templates and choice != PHOTO_REASON:
        return "", "请从列表中选择原因"
    if len(text) > 150:
        return "", "不通过原因不能超过150个字"
    reason = "；".join(x for x in (choice, text) if x)
    return reason, None if reason else "请选择或填写不通过的原因"


def _refusal(app: Application) -> str:
    if app.status == Status.WITHDRAWN:
        return "考生已撤销该申请（重新报名），无法审核"
    if app.status == Status.DRAFT:
        return "考生正在修改该申请，请待其重新提交后再审核"
    return f"该申请已由{app.reviewed_by or '其他审核人员'}审核"


async def decide(scope: Scope, app_id: int, approve: bool, reason: str, now) -> str | None:
    """通过 / 不通过. Returns None when it took effect, else the message; the caller checked the scope.

    One conditional update on status='submitted' sets the status, who, when and why together.
    """
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        return "请选择或填写不通过的原因"
    to = Status.APPROVED if approve else Status.REJECTED
    who = scope.reviewer
    async with in_transaction():
        moved = await Application.filter(scope.applications(), id=app_id, status=Status.SUBMITTED).update(
            status=to, reviewed_at=now, reviewed_by=who.username, review_reason=None if approve else reason)
        if moved:
            log = await ReviewLog.record(app_id, "approve" if approve else "reject", Status.SUBMITTED, to, now,
                                         actor=who.username, reviewer_id=who.id, reason=None if approve else reason)
            await notifications.review_outcome(app_id, approve, reason, log.id, now)  # 消息 and SMS, with it
            return None
    current = await Application.get_or_none(id=app_id)
    return "申请不存在" if current is None else _refusal(current)


async def skip_reasons(scope: Scope, ids: list[str]) -> dict[int | str, str]:
    """Why each of these ids was not approved, as it stands now (for the page after a plain-form 批量通过)."""
    out: dict[int | str, str] = {}
    for raw in ids[:100]:
        app = await in_scope(scope, raw)
        out[raw if app is None else app.id] = NOT_IN_SCOPE if app is None else _refusal(app)
    return out


async def bulk_approve(scope: Scope, ids: list[str], now) -> tuple[list[int], dict[int | str, str]]:
    """批量通过: approve each selected id in scope; returns (approved ids, {skipped id: why})."""
    done, skipped = [], {}
    for raw in dict.fromkeys(ids):
        app = await in_scope(scope, raw)
        if app is None:
            skipped[raw] = NOT_IN_SCOPE
            continue
        error = await decide(scope, app.id, True, "", now)
        if error:
            skipped[app.id] = error
        else:
            done.append(app.id)
    return done, skipped


async def clear_photo_flag(scope: Scope, app: Application, now) -> bool:
    """照片复核: the reviewer accepts the photo of `app` (in scope); logged like a decision (the status does not
    change). False when the flag was cleared already (another reviewer, another tab)."""
    async with in_transaction():
        moved = await Application.filter(scope.applications(), id=app.id, photo_flag__isnull=False).update(
            photo_flag=None)
        if moved:
            await ReviewLog.record(app.id, "photo_ok", app.status, app.status, now, actor=scope.reviewer.username,
                                   reviewer_id=scope.reviewer.id, reason=f"照片复核通过（{app.photo_flag}）")
    return bool(moved)
