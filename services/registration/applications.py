"""Reading a candidate's own applications (the hot read of every wizard request)."""
from __future__ import annotations

from db.reads import Reads
from models.applications import Application, Material
from models.exams import Exam, ExamProvince
from services.reference.exams import ReferenceData


async def own(reads: Reads, reference: ReferenceData, account_id: int, app_id: int
              ) -> tuple[Application, ExamProvince | None] | None:
    """The application `app_id` if it is this account's, with its exam and its province's registration
    (None before a province is chosen); None when there is no such application of this account."""
    app = await reads.first(Application, id=app_id, account_id=account_id)
    if app is None:
        return None
    app.exam = await reference.exam(app.exam_id)
    ep = await reference.province(app.province_id) if app.province_id else None
    return app, ep


async def exams_with_active(account_id: int) -> tuple[list[Exam], dict[int, Application]]:
    """选择考试: every exam, newest year first, and the candidate's active application of each (by exam id)."""
    exams = await Exam.all().order_by("-year", "id")
    active = await Application.filter(account_id=account_id, active_key__isnull=False)
    return exams, {a.exam_id: a for a in active}


async def materials_of(app_id: int) -> dict[str, Material]:
    """The 证明材料 uploaded for the application, by item."""
    return {m.item: m for m in await Material.filter(application_id=app_id)}
