"""Reading a candidate's own applications (the hot read of every wizard request)."""
from __future__ import annotations

from db.reads import Reads
from models.applications import Application, Material, Status
from models.exams import Exam, ExamProvince
from services.documents import tickets
from services.reference.exams import ReferenceData
from services.reference.regions import PROVINCES
from services.registration import wizard


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


async def exams_with_active(reads: Reads, account_id: int) -> tuple[list[Exam], dict[int, Application]]:
    """选择考试: every exam, newest year first, and the candidate's active application of each (by exam id).
    Both through db.reads (a journey shows this page three times): a handful of rows each."""
    exams = sorted(await reads.find(Exam), key=lambda e: (-e.year, e.id))
    mine = await reads.find(Application, account_id=account_id)
    return exams, {a.exam_id: a for a in mine if a.active_key is not None}


# 首页: what each state of an application asks of the candidate next, and the page that does it (a wizard step,
# or the printed form). A draft goes to the step it is at.
NEXT_ACTION = {Status.SUBMITTED: ("等待审核", "result"), Status.REJECTED: ("修改后重新提交", "result"),
               Status.APPROVED: ("去缴费", "pay"), Status.PAID: ("打印报名表", "form.pdf")}


async def on_home(reference: ReferenceData, account_id: int) -> list[dict]:
    """首页: the candidate's active applications, newest first, each with its state and its next action
    (继续填写 / 等待审核 / 去缴费 / 打印报名表) and where that is; withdrawn ones (重新报名) are not shown."""
    rows = []
    mine = await reference.reads.find(Application, account_id=account_id)  # db.reads, as the wizard's own read
    for app in sorted((a for a in mine if a.active_key is not None), key=lambda a: -a.id):
        app.exam = await reference.exam(app.exam_id)
        ep = await reference.province(app.province_id) if app.province_id else None
        action, page = NEXT_ACTION.get(app.status) or ("继续填写", wizard.first_incomplete(app, ep).id)
        rows.append({"id": app.id, "exam": app.exam.name, "level": app.exam.level,
                     "province": PROVINCES.get(ep.province_code, "") if ep else "",
                     "status": app.status, "status_label": Status.LABELS[app.status], "action": action,
                     "url": f"/apply/{app.id}/{page}", "download": page == "form.pdf",
                     "ticket": tickets.window(ep) if app.status == Status.PAID else None})  # 准考证打印
    return rows


async def materials_of(reads: Reads, app_id: int) -> dict[str, Material]:
    """The 证明材料 uploaded for the application, by item (db.reads: the page shows after each upload)."""
    return {m.item: m for m in await reads.find(Material, application_id=app_id)}
