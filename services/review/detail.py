"""The detail of one application in scope: what was submitted (the snapshot), 报考条件 checked against it,
its province's 不通过 reason templates and the review history."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from db.reads import Reads
from models.applications import Application
from models.reviews import ReviewLog
from models.snapshot import Snapshot
from services.arrangement import reads as arranged
from services.notifications import office as notifications
from services.reference.exams import ReferenceData
from services.registration import eligibility
from services.review.queue import one_row
from services.review.scope import Scope


def eligibility_of(snap: Snapshot):
    """报考条件 checked against the personal data in the snapshot (as the wizard checked the record)."""
    p, code = snap.personal, snap.condition.code
    if code not in eligibility.CONDITIONS:
        return None
    educations = [SimpleNamespace(level=p.level)] if p.level else []
    try:
        start = date.fromisoformat(p.accounting_start[:10]) if p.accounting_start else None
    except ValueError:
        start = None
    return eligibility.check(code, snap.exam.year, educations, p.degree or None, start)


async def reject_templates(reference: ReferenceData, app: Application) -> list[str]:
    """The province's 不通过 reason templates (its exam registration, from the reference data)."""
    return (await reference.province(app.province_id)).reject_reasons


async def detail(reads: Reads, reference: ReferenceData, scope: Scope, app: Application) -> dict:
    """What the detail panel shows: app, s (the snapshot), ep, history, check, reasons, the queue's row and, once
    arranged, the ticket (准考证号 and seats, services.arrangement.reads), and the notifications sent (with each
    SMS attempt)."""
    ep = await reference.province(app.province_id)
    history = await ReviewLog.filter(application_id=app.id).order_by("id")
    return {"app": app, "s": app.submission, "ep": ep, "history": history, "check": eligibility_of(app.submission),
            "reasons": ep.reject_reasons, "row": await one_row(reads, scope, app.id),
            "ticket": await arranged.ticket_of(app.id), "notices": await notifications.of_application(app.id)}
