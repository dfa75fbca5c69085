"""The registration wizard as an ordered list of step objects (as pretix's checkout steps): each step says
whether it applies to an application, whether it is done, its template, and which step follows it. The order
lives only in STEPS. One rule serves every request: a step later than the first incomplete one is never shown
or accepted, so no step can be skipped by URL or by posting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from models.applications import Application, Status
from models.exams import Announcement, ExamProvince
from services.reference.exams import ReferenceData
from services.reference.regions import PROVINCES


def _always(app: Application, ep: ExamProvince | None) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Step:
    id: str
    label: str
    template: str
    done: Callable[[Application], bool]
    applies: Callable[[Application, ExamProvince | None], bool] = _always
    # A step of the draft proper: shown and saved only while the province's 报名时间 is open (the gate checks
    # it for every request of the step, fragments and uploads included). 选择省份 checks the province chosen.
    in_window: bool = True
    # Saved from 信息确认's 修改 links too: once saved, on to the first incomplete step rather than the next one.
    resumes: bool = False

    def next(self, app: Application, ep: ExamProvince | None) -> "Step":
        """Where the candidate goes once this step is saved (`app` as saved)."""
        if self.resumes:
            return first_incomplete(app, ep)
        ids = [s.id for s in steps_for(app, ep)]
        return BY_ID[ids[ids.index(self.id) + 1]]


def _info_done(app: Application) -> bool:
    return bool(app.site_id and app.subjects and app.photo and app.info_done)


STEPS: list[Step] = [
    Step("province", "选择省份", "wizard/province.html", lambda a: a.province_id is not None, in_window=False),
    Step("notice", "阅读须知", "wizard/notice.html", lambda a: a.notice_agreed_at is not None),
    Step("announcements", "通知公告", "wizard/announcements.html", lambda a: a.announcements_read_at is not None),
    Step("condition", "选择报考条件", "wizard/condition.html", lambda a: a.condition is not None),
    Step("info", "报名信息填写", "wizard/info.html", _info_done, resumes=True),
    Step("materials", "证明材料上传", "wizard/materials.html", lambda a: a.materials_done,
         lambda a, ep: ep is None or bool(ep.materials)),
    Step("confirm", "信息确认", "wizard/confirm.html", lambda a: a.submitted_at is not None),
    Step("result", "审核告知", "wizard/result.html", lambda a: a.status in (Status.APPROVED, Status.PAID),
         in_window=False),
    Step("pay", "网上缴费", "payment/pay.html", lambda a: a.status == Status.PAID, in_window=False),  # views/payment.py
]
BY_ID = {s.id: s for s in STEPS}
# 修改后重新提交: a rejected application goes back to the candidate at 报名信息填写.
CORRECTED_AT = BY_ID["info"]


def steps_for(app: Application, ep: ExamProvince | None) -> list[Step]:
    return [s for s in STEPS if s.applies(app, ep)]


def first_incomplete(app: Application, ep: ExamProvince | None) -> Step:
    """The step the application is at."""
    if app.status in (Status.APPROVED, Status.PAID):  # approved: 网上缴费 (and 报名成功 there once paid)
        return BY_ID["pay"]
    if app.status != Status.DRAFT:  # after submission only the review notice is left
        return BY_ID["result"]
    for step in steps_for(app, ep):
        if not step.done(app):
            return step
    return BY_ID["result"]


def allowed(app: Application, ep: ExamProvince | None, step_id: str) -> bool:
    """A step may be shown or posted when it is the first incomplete one or an earlier, finished one
    (going back to change it), and only while the application is a draft (the review notice always)."""
    current = first_incomplete(app, ep)
    ids = [s.id for s in steps_for(app, ep)]
    if step_id not in ids:
        return False
    if step_id in ("result", "pay"):
        return current.id == step_id or (step_id == "result" and current.id == "pay")
    return app.status == Status.DRAFT and ids.index(step_id) <= ids.index(current.id)


def guide(app: Application, ep: ExamProvince | None, here: str) -> list[dict]:
    """报名导览: every step with its state."""
    current = first_incomplete(app, ep)
    rows = [{"id": "exam", "label": "选择考试", "state": "done"}]
    for s in steps_for(app, ep):
        state = "current" if s.id == here else "done" if s.done(app) else "todo"
        if s.id == current.id and s.id != here:
            state = "next"
        rows.append({"id": s.id, "label": s.label, "state": state})
    return rows


class RegistrationClosed(Exception):
    """The province's 报名时间 is not open now: the wizard answers with the closed page (views.wizard)."""

    def __init__(self, ep: ExamProvince, exam, state: str):
        super().__init__(state)
        self.ep, self.exam, self.state = ep, exam, state


def check_window(ep: ExamProvince, exam, now: datetime) -> None:
    """Raise RegistrationClosed unless the province's registration is open now."""
    state = window_state(ep.reg_start, ep.reg_end, now)
    if state != "open":
        raise RegistrationClosed(ep, exam, state)


def page_context(app: Application, ep: ExamProvince | None, here: str, **extra) -> dict:
    """What every page of the wizard (and 网上缴费) shows around its form: the 报名导览 with `here` current,
    the province and the application's status."""
    return {"app": app, "ep": ep, "guide": guide(app, ep, here),
            "province_name": PROVINCES.get(ep.province_code, "") if ep else "",
            "status_label": Status.LABELS[app.status], **extra}


def window_state(start: datetime, end: datetime, now: datetime) -> str:
    """'open', 'future' or 'closed' for a registration or payment window."""
    if now < start:
        return "future"
    return "open" if now <= end else "closed"


# ---------------------------------------------------------------------- what the steps show (reference data)


async def provinces(reference: ReferenceData, exam_id: int, now: datetime) -> list[dict]:
    """选择省份: every province of the exam with its name and the state of its registration window."""
    rows = await reference.remember(("exam_provinces", exam_id), lambda: ExamProvince.filter(
        exam_id=exam_id).order_by("province_code"))
    return [{"ep": p, "name": PROVINCES[p.province_code], "state": window_state(p.reg_start, p.reg_end, now)}
            for p in rows]


async def announcements(reference: ReferenceData, ep_id: int) -> list[Announcement]:
    """通知公告 of the province, in the seed file's order."""
    return await reference.remember(("announcements", ep_id), lambda: Announcement.filter(
        exam_province_id=ep_id).order_by("position"))
