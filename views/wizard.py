"""会计专业技术资格考试 网上报名: 选择考试 → 选择省份 → 阅读须知 → 通知公告 → 选择报考条件 → …

Every step handler loads the candidate's own application (anyone else's id is 404) and asks the wizard
whether the step is allowed; a later step sends the candidate back to the first incomplete one.
"""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route
from tortoise.exceptions import IntegrityError

from models.applications import Application, Status
from models.exams import Announcement, Exam, ExamProvince
from models.profiles import Education, Profile
from services import eligibility, realname, wizard
from services.regions import PROVINCES
from web import Form, login_required, now, redirect, render


async def candidate(request: Request):
    """Logged in and 实名认证 passed: exam registration needs both."""
    account = await login_required(request)
    if not realname.is_verified(account):
        raise HTTPException(303, headers={"Location": "/realname?next=/profile"})
    return account


async def own_application(request: Request, account) -> tuple[Application, ExamProvince | None]:
    app = await Application.get_or_none(id=request.path_params["app_id"], account_id=account.id).select_related(
        "exam")
    if app is None:
        raise HTTPException(404)
    ep = await ExamProvince.get_or_none(id=app.province_id) if app.province_id else None
    return app, ep


def step_url(app: Application, step_id: str) -> str:
    return f"/apply/{app.id}/{step_id}"


async def gate(request: Request, step_id: str):
    """Load the application and refuse a step that is not open to it yet (303 to the first incomplete)."""
    account = await candidate(request)
    app, ep = await own_application(request, account)
    if not wizard.allowed(app, ep, step_id):
        raise HTTPException(303, headers={"Location": step_url(app, wizard.first_incomplete(app, ep).id)})
    return account, app, ep


def ctx_for(app, ep, here: str, **extra) -> dict:
    return {"app": app, "ep": ep, "guide": wizard.guide(app, ep, here), "province_name": PROVINCES.get(
        ep.province_code, "") if ep else "", "status_label": Status.LABELS[app.status], **extra}


# ------------------------------------------------------------------ 选择考试


async def exams(request: Request):
    account = await candidate(request)
    rows = await Exam.all().order_by("-year", "id")
    active = {a.exam_id: a for a in await Application.filter(account_id=account.id, active_key__isnull=False)}
    return render(request, "wizard/exams.html", {"exams": rows, "active": active})


async def enter(request: Request):
    """进入: resume the active application for this exam, or start one."""
    account = await candidate(request)
    exam = await Exam.get_or_none(id=request.path_params["exam_id"])
    if exam is None:
        raise HTTPException(404)
    key = f"{account.id}:{exam.id}"
    app = await Application.get_or_none(active_key=key)
    if app is None:
        try:
            app = await Application.create(account=account, exam=exam, active_key=key)
        except IntegrityError:  # a double click: the other request created it
            app = await Application.get(active_key=key)
    ep = await ExamProvince.get_or_none(id=app.province_id) if app.province_id else None
    return redirect(request, step_url(app, wizard.first_incomplete(app, ep).id))


# ------------------------------------------------------------------ 选择省份


async def province(request: Request):
    account, app, ep = await gate(request, "province")
    t = now()
    rows = []
    for p in await ExamProvince.filter(exam_id=app.exam_id).order_by("province_code"):
        rows.append({"ep": p, "name": PROVINCES[p.province_code], "state": wizard.window_state(p.reg_start, p.reg_end, t)})
    if request.method == "GET":
        return render(request, "wizard/province.html", ctx_for(app, ep, "province", rows=rows))
    form = Form(await request.form())
    chosen = await ExamProvince.get_or_none(exam_id=app.exam_id, province_code=form.get("province"))
    if chosen is None:
        raise HTTPException(404)
    state = wizard.window_state(chosen.reg_start, chosen.reg_end, t)
    if state != "open":
        return render(request, "wizard/closed.html", {"ep": chosen, "name": PROVINCES[chosen.province_code],
                                                      "state": state, "exam": app.exam}, status=403)
    if app.province_id != chosen.id:
        # Another province: what was read and chosen for the old one no longer holds.
        await Application.filter(id=app.id, status=Status.DRAFT).update(
            province_id=chosen.id, notice_agreed_at=None, announcements_read_at=None, condition=None, site_id=None)
    return redirect(request, step_url(app, "notice"))


async def province_link(request: Request):
    """A direct link to a province's registration: entry only inside its window, whatever the URL."""
    await candidate(request)
    ep = await ExamProvince.get_or_none(exam_id=request.path_params["exam_id"],
                                        province_code=request.path_params["code"]).select_related("exam")
    if ep is None:
        raise HTTPException(404)
    state = wizard.window_state(ep.reg_start, ep.reg_end, now())
    return render(request, "wizard/closed.html", {"ep": ep, "name": PROVINCES[ep.province_code], "state": state,
                                                  "exam": ep.exam}, status=200 if state == "open" else 403)


async def _still_open(request, app, ep):
    """Every step re-checks the window: registration that closed meanwhile cannot go on."""
    state = wizard.window_state(ep.reg_start, ep.reg_end, now())
    if state != "open":
        return render(request, "wizard/closed.html", {"ep": ep, "name": PROVINCES[ep.province_code], "state": state,
                                                      "exam": app.exam}, status=403)
    return None


# ------------------------------------------------------------------ 阅读须知


async def notice(request: Request):
    account, app, ep = await gate(request, "notice")
    if closed := await _still_open(request, app, ep):
        return closed
    if request.method == "GET":
        return render(request, "wizard/notice.html", ctx_for(app, ep, "notice", errors={}))
    form = Form(await request.form())
    if form.get("agree") != "1":
        return render(request, "wizard/notice.html",
                      ctx_for(app, ep, "notice", errors={"agree": "请先阅读并选择“完全同意”"}), status=422)
    await Application.filter(id=app.id, status=Status.DRAFT).update(notice_agreed_at=now())
    return redirect(request, step_url(app, "announcements"))


# ------------------------------------------------------------------ 通知公告


async def announcements(request: Request):
    account, app, ep = await gate(request, "announcements")
    if closed := await _still_open(request, app, ep):
        return closed
    if request.method == "GET":
        rows = await Announcement.filter(exam_province_id=ep.id).order_by("position")
        return render(request, "wizard/announcements.html", ctx_for(app, ep, "announcements", announcements=rows))
    await Application.filter(id=app.id, status=Status.DRAFT).update(announcements_read_at=now())
    return redirect(request, step_url(app, "condition"))


async def announcement(request: Request):
    account, app, ep = await gate(request, "announcements")
    row = await Announcement.get_or_none(id=request.path_params["aid"], exam_province_id=ep.id)
    if row is None:
        raise HTTPException(404)
    return render(request, "wizard/announcement.html", ctx_for(app, ep, "announcements", a=row))


# ------------------------------------------------------------------ 选择报考条件


async def condition_checks(account, app, ep) -> list[eligibility.Check]:
    profile = await Profile.get_or_none(account_id=account.id)
    educations = await Education.filter(account_id=account.id)
    return [eligibility.check(code, app.exam.year, educations, profile.degree if profile else None,
                              profile.accounting_start if profile else None) for code in ep.conditions]


async def condition(request: Request):
    account, app, ep = await gate(request, "condition")
    if closed := await _still_open(request, app, ep):
        return closed
    checks = await condition_checks(account, app, ep)
    if request.method == "GET":
        return render(request, "wizard/condition.html", ctx_for(app, ep, "condition", checks=checks, errors={},
                                                                chosen=app.condition))
    form = Form(await request.form())
    code = form.get("condition")
    chosen = next((c for c in checks if c.code == code), None)
    error = None
    if chosen is None:
        error = "请选择报考条件"
    elif not chosen.met:
        error = f"不符合该报考条件：{chosen.reason}"
    if error:
        return render(request, "wizard/condition.html", ctx_for(app, ep, "condition", checks=checks, chosen=code,
                                                                errors={"condition": error}), status=422)
    await Application.filter(id=app.id, status=Status.DRAFT).update(condition=code)
    return redirect(request, step_url(app, "info"))


# ------------------------------------------------------------------ 报名信息填写 (next)


async def info(request: Request):
    account, app, ep = await gate(request, "info")
    return render(request, "wizard/pending_step.html", ctx_for(app, ep, "info"))


routes = [
    Route("/exams", exams, name="exams"),
    Route("/exams/{exam_id:int}/enter", enter, methods=["POST"], name="exam_enter"),
    Route("/exams/{exam_id:int}/provinces/{code}", province_link, name="province_link"),
    Route("/apply/{app_id:int}/province", province, methods=["GET", "POST"], name="step_province"),
    Route("/apply/{app_id:int}/notice", notice, methods=["GET", "POST"], name="step_notice"),
    Route("/apply/{app_id:int}/announcements", announcements, methods=["GET", "POST"], name="step_announcements"),
    Route("/apply/{app_id:int}/announcements/{aid:int}", announcement, name="step_announcement"),
    Route("/apply/{app_id:int}/condition", condition, methods=["GET", "POST"], name="step_condition"),
    Route("/apply/{app_id:int}/info", info, methods=["GET", "POST"], name="step_info"),
]
