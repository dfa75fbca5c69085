"""Reading a candidate's own applications (the hot read of every wizard request)."""
from __future__ import annotations

from db.reads import Reads
from models.applications import Application
from models.exams import ExamProvince
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
