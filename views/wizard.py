"""会计专业技术资格考试 网上报名: 选择考试 → 选择省份 → 阅读须知 → 通知公告 → 选择报考条件 → …

Every step handler loads the candidate's own application (anyone else's id is 404) and asks the wizard
whether the step is allowed; a later step sends the candidate back to the first incomplete one.
"""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route
from tortoise.exceptions import IntegrityError

from models.applications import Application, Material, Status
from models.exams import Announcement, Exam, ExamCity, ExamProvince, Site
from models.profiles import Education, Profile
from services.reference import regions
from services import clock
from services.accounts import profile as record_rules
from services.documents import uploads
from services.reference import options as reference
from services.reference.regions import PROVINCES
from services.registration import applications, eligibility, fees, photos, submission, wizard
from services.registration import materials as materials_rules
from services.registration import personal as personal_data
from services.clock import now
from web.forms import Form
from web.render import redirect, render
from web.sessions import verified_candidate


async def own_application(request: Request, account) -> tuple[Application, ExamProvince | None]:
    found = await applications.own(request.app.state.reads, request.app.state.reference, account.id,
                                   request.path_params["app_id"])
    if found is None:
        raise HTTPException(404)
    return found


def step_url(app: Application, step_id: str) -> str:
    return f"/apply/{app.id}/{step_id}"


async def gate(request: Request, step_id: str):
    """Load the application and refuse a step that is not open to it yet (303 to the first incomplete)."""
    account = verified_candidate(request)
    app, ep = await own_application(request, account)
    if not wizard.allowed(app, ep, step_id):
        raise HTTPException(303, headers={"Location": step_url(app, wizard.first_incomplete(app, ep).id)})
    return account, app, ep


# ------------------------------------------------------------------ 选择考试


async def exams(request: Request):
    account = verified_candidate(request)
    rows = await Exam.all().order_by("-year", "id")
    active = {a.exam_id: a for a in await Application.filter(account_id=account.id, active_key__isnull=False)}
    return render(request, "wizard/exams.html", {"exams": rows, "active": active})


async def enter(request: Request):
    """进入: resume the active application for this exam, or start one."""
    account = verified_candidate(request)
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
        return render(request, "wizard/province.html", wizard.page_context(app, ep, "province", rows=rows))
    form = Form(await request.form())
    chosen = await ExamProvince.get_or_none(exam_id=app.exam_id, province_code=form.get("province"))
    if chosen is None:
        raise HTTPException(404)
    wizard.check_window(chosen, app.exam, t)
    if app.province_id != chosen.id:
        # Another province: what was read and chosen for the old one no longer holds.
        await Application.filter(id=app.id, status=Status.DRAFT).update(
            province_id=chosen.id, notice_agreed_at=None, announcements_read_at=None, condition=None, site_id=None)
    return redirect(request, step_url(app, "notice"))


async def province_link(request: Request):
    """A direct link to a province's registration: entry only inside its window, whatever the URL."""
    verified_candidate(request)
    ep = await ExamProvince.get_or_none(exam_id=request.path_params["exam_id"],
                                        province_code=request.path_params["code"]).select_related("exam")
    if ep is None:
        raise HTTPException(404)
    wizard.check_window(ep, ep.exam, now())
    return render(request, "wizard/closed.html", {"ep": ep, "name": PROVINCES[ep.province_code], "state": "open",
                                                  "exam": ep.exam})


async def closed_page(request: Request, exc: wizard.RegistrationClosed):
    """报名尚未开始 / 报名已结束, for any step or link of a province whose window is not open."""
    return render(request, "wizard/closed.html", {"ep": exc.ep, "name": PROVINCES[exc.ep.province_code],
                                                  "state": exc.state, "exam": exc.exam}, status=403)


exception_handlers = {wizard.RegistrationClosed: closed_page}


# ------------------------------------------------------------------ 阅读须知


async def notice(request: Request):
    account, app, ep = await gate(request, "notice")
    wizard.check_window(ep, app.exam, now())
    if request.method == "GET":
        return render(request, "wizard/notice.html", wizard.page_context(app, ep, "notice", errors={}))
    form = Form(await request.form())
    if form.get("agree") != "1":
        return render(request, "wizard/notice.html",
                      wizard.page_context(app, ep, "notice", errors={"agree": "请先阅读并选择“完全同意”"}), status=422)
    await Application.filter(id=app.id, status=Status.DRAFT).update(notice_agreed_at=now())
    return redirect(request, step_url(app, "announcements"))


# ------------------------------------------------------------------ 通知公告


async def announcements(request: Request):
    account, app, ep = await gate(request, "announcements")
    wizard.check_window(ep, app.exam, now())
    if request.method == "GET":
        rows = await Announcement.filter(exam_province_id=ep.id).order_by("position")
        return render(request, "wizard/announcements.html", wizard.page_context(app, ep, "announcements", announcements=rows))
    await Application.filter(id=app.id, status=Status.DRAFT).update(announcements_read_at=now())
    return redirect(request, step_url(app, "condition"))


async def announcement(request: Request):
    account, app, ep = await gate(request, "announcements")
    row = await Announcement.get_or_none(id=request.path_params["aid"], exam_province_id=ep.id)
    if row is None:
        raise HTTPException(404)
    return render(request, "wizard/announcement.html", wizard.page_context(app, ep, "announcements", a=row))


# ------------------------------------------------------------------ 选择报考条件


async def condition_checks(account, app, ep) -> list[eligibility.Check]:
    profile = await Profile.get_or_none(account_id=account.id)
    educations = await Education.filter(account_id=account.id)
    return [eligibility.check(code, app.exam.year, educations, profile.degree if profile else None,
                              profile.accounting_start if profile else None) for code in ep.conditions]


async def condition(request: Request):
    account, app, ep = await gate(request, "condition")
    wizard.check_window(ep, app.exam, now())
    checks = await condition_checks(account, app, ep)
    if request.method == "GET":
        return render(request, "wizard/condition.html", wizard.page_context(app, ep, "condition", checks=checks, errors={},
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
        return render(request, "wizard/condition.html", wizard.page_context(app, ep, "condition", checks=checks, chosen=code,
                                                                errors={"condition": error}), status=422)
    await Application.filter(id=app.id, status=Status.DRAFT).update(condition=code)
    return redirect(request, step_url(app, "info"))




# ------------------------------------------------------------------ 报名信息填写


async def _start_personal(account, app: Application, upload_dir) -> Application:
    """First visit: copy 信息采集 into the application (the photo as a file of its own)."""
    personal = await personal_data.personal_from_record(account)
    record_photo = personal.pop("photo_from_record")
    photo = app.photo  # a photo uploaded here already wins over the record's
    if record_photo and not photo:
        try:
            data = uploads.path_of(upload_dir, record_photo).read_bytes()
            photo = await anyio.to_thread.run_sync(uploads.store, upload_dir, "photo", data, ".jpg")
        except (OSError, uploads.UploadError):
            photo = None
    await Application.filter(id=app.id, status=Status.DRAFT).update(personal=personal, photo=photo)
    app.personal, app.photo = personal, photo
    return app


async def _info_ctx(refdata, app, ep, values: dict, errors: dict, city_id=None, site_id=None, subjects=None,
                    photo_note=""):
    cities = await refdata.cities(ep.id)
    if city_id is None and app.site_id:
        city_id = await refdata.site_city(app.site_id)
    chosen_subjects = app.subjects if subjects is None else subjects
    fewest, most = fees.subject_rule(app.exam)
    return wizard.page_context(app, ep, "info", cities=cities, city_id=city_id, site_id=site_id or app.site_id,
                   sites=await refdata.sites(ep.id, city_id), subjects=chosen_subjects,
                   fee=fees.yuan(fees.fee_fen(ep, chosen_subjects)), fewest=fewest, most=most,
                   values=values, errors=errors, ethnic_groups=reference.ETHNIC_GROUPS,
                   political=reference.POLITICAL_STATUS, levels=reference.EDUCATION_LEVELS, degrees=reference.DEGREES,
                   provinces=PROVINCES, employer_cities=regions.cities(values.get("employer_province", "")),
                   photo_note=photo_note, per_person=fees.yuan(ep.fee_per_person_fen),
                   per_subject=fees.yuan(ep.fee_per_subject_fen))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def info(request: Request):
    account, app, ep = await gate(request, "info")
    wizard.check_window(ep, app.exam, now())
    settings = request.app.state.settings
    if not app.personal:
        app = await _start_personal(account, app, settings.upload_dir)
    if request.method == "GET":
        q = request.query_params
        if "city" in q:  # without JavaScript the city is chosen by a reload that carries the whole form
            values, chosen = _typed(q)
            return render(request, "wizard/info.html", await _info_ctx(request.app.state.reference, app, ep, values, {}, **chosen))
        values = await personal_data.take_values(app)
        return render(request, "wizard/info.html", await _info_ctx(request.app.state.reference, app, ep, values, {}))
    form = Form(await request.form())
    city_id, site_id = _int(form.get("city")), _int(form.get("site"))
    subjects = [s for s in form.data.getlist("subjects") if isinstance(s, str)]
    errors: dict[str, str] = {}
    site = await Site.get_or_none(id=site_id).select_related("city") if site_id else None
    if not city_id or not await ExamCity.exists(id=city_id, exam_province_id=ep.id):
        errors["city"] = "请选择报考地市"
    elif site is None or site.city_id != city_id or site.city.exam_province_id != ep.id:
        errors["site"] = "请选择所选地市的报名点"
    elif site.taken >= site.capacity and site.id != app.site_id:
        errors["site"] = "该报名点已满，请选择其他报名点"
    fewest, most = fees.subject_rule(app.exam)
    if len(set(subjects)) != len(subjects) or not set(subjects) <= set(app.exam.subjects):
        errors["subjects"] = f"报名科目只能从{app.exam.level}科目中选择"
    elif not fewest <= len(subjects) <= most:
        errors["subjects"] = (f"{app.exam.level}须同时报考全部{fewest}个科目" if fewest == most
                              else f"请选择{fewest}至{most}个科目")
    if not app.photo:
        errors["photo"] = "请上传个人照片"
    profile = await Profile.get_or_none(account_id=account.id)
    birth = record_rules.birth_date_of(account, profile)
    # 性别/出生日期 belong to the record, not to this form: a stand-in with a birth date skips those fields.
    who = SimpleNamespace(birth_date=birth or date(1900, 1, 1))
    today = clock.today()
    # The record's own rules, applied to what was typed here (the values stay strings in `personal`).
    record_rules.validate_basic(form, who, today)
    edu = record_rules.validate_education(form, today, birth)
    record_rules.validate_degree(form, today, birth, [SimpleNamespace(**edu)] if edu["graduated_on"] else [])
    record_rules.validate_work(form, today, birth)
    errors.update(form.errors)
    typed = {k: form.get(k) for k in personal_data.PERSONAL_FIELDS}
    if errors:
        ctx = await _info_ctx(request.app.state.reference, app, ep, typed, errors, city_id=city_id, site_id=site_id, subjects=subjects)
        return render(request, "wizard/info.html", ctx, status=422)
    personal = {**typed, "complete": True}
    await Application.filter(id=app.id, status=Status.DRAFT).update(site_id=site.id, subjects=subjects,
                                                                     personal=personal)
    app.personal, app.site_id, app.subjects = personal, site.id, subjects
    return redirect(request, step_url(app, wizard.first_incomplete(app, ep).id))


async def site_options(request: Request):
    """The 报名点 list that follows the 报考地市 (htmx); a full site shows 已满 and cannot be chosen."""
    account, app, ep = await gate(request, "info")
    sites = await request.app.state.reference.sites(ep.id, _int(request.query_params.get("city")))
    return render(request, "site_select.html", {"sites": sites, "site_id": app.site_id})


async def fee(request: Request):
    """The fee total as subjects are ticked (computed by the server, in fen)."""
    account, app, ep = await gate(request, "info")
    subjects = [s for s in request.query_params.getlist("subjects") if s in app.exam.subjects]
    return render(request, "fee_total.html", {"fee": fees.yuan(fees.fee_fen(ep, subjects)),
                                              "subjects": subjects})


def _typed(data) -> tuple[dict, dict]:
    """What the candidate typed in the whole form, kept through a photo upload (successful or not)."""
    values = {k: v if isinstance(v := data.get(k), str) else "" for k in personal_data.PERSONAL_FIELDS}
    chosen = {"city_id": _int(data.get("city")), "site_id": _int(data.get("site")),
              "subjects": [s for s in data.getlist("subjects") if isinstance(s, str)]}
    return values, chosen


async def photo(request: Request):
    """个人照片: prepared by the server; an adjusted photo waits for 使用此照片 (preview)."""
    account, app, ep = await gate(request, "info")
    settings = request.app.state.settings
    data = await request.form(max_part_size=3 * 1024 * 1024)
    try:
        values, chosen = _typed(data)
        upload = data.get("photo")
        rules = photos.PhotoRules.from_province(ep.photo_rules)
        error, result = None, None
        if upload is None or not getattr(upload, "filename", None):
            error = "请选择照片"
        else:
            try:
                raw = await uploads.read_upload(upload, rules.max_kb * 1024)
                result = await anyio.to_thread.run_sync(photos.prepare_photo, raw, rules)
            except uploads.UploadError as e:
                error = str(e)
    finally:
        await data.close()
    if error:
        return render(request, "wizard/info.html", await _info_ctx(request.app.state.reference, app, ep, values, {"photo": error}, **chosen),
                      status=422)
    name = await anyio.to_thread.run_sync(uploads.store, settings.upload_dir, "photo", result.data, ".jpg")
    if result.adjusted:
        old = app.pending_photo
        await Application.filter(id=app.id, status=Status.DRAFT).update(pending_photo=name)
        if old:
            uploads.delete(settings.upload_dir, old)
        app.pending_photo = name
    else:
        await _use_photo(app, name, settings.upload_dir)
    return render(request, "wizard/info.html", await _info_ctx(request.app.state.reference, app, ep, values, {}, photo_note=result.note, **chosen))


async def _use_photo(app: Application, name: str, upload_dir) -> None:
    old = app.photo
    await Application.filter(id=app.id, status=Status.DRAFT).update(photo=name, pending_photo=None)
    if old and old != name:
        uploads.delete(upload_dir, old)
    app.photo, app.pending_photo = name, None


async def photo_accept(request: Request):
    """使用此照片: the previewed photo becomes the application's photo."""
    account, app, ep = await gate(request, "info")
    data = await request.form()
    values, chosen = _typed(data)
    if app.pending_photo:
        await _use_photo(app, app.pending_photo, request.app.state.settings.upload_dir)
    return render(request, "wizard/info.html", await _info_ctx(request.app.state.reference, app, ep, values, {}, **chosen))


# ------------------------------------------------------------------ 证明材料上传


async def _materials_ctx(app, ep, errors=None):
    items = submission.required_materials(ep, app.condition)
    files = {m.item: m for m in await Material.filter(application_id=app.id)}
    return wizard.page_context(app, ep, "materials", items=items, files=files, errors=errors or {})


async def materials(request: Request):
    account, app, ep = await gate(request, "materials")
    if request.method == "GET":
        return render(request, "wizard/materials.html", await _materials_ctx(app, ep))
    ctx = await _materials_ctx(app, ep)
    missing = [m["name"] for m in ctx["items"] if m["required"] and m["name"] not in ctx["files"]]
    if missing:
        ctx["errors"] = {"materials": "请上传必传的证明材料：" + "、".join(missing)}
        return render(request, "wizard/materials.html", ctx, status=422)
    await Application.filter(id=app.id, status=Status.DRAFT).update(personal={**app.personal, "materials_done": True})
    return redirect(request, step_url(app, "confirm"))


async def material_upload(request: Request):
    """Upload or replace one item of the province's list (JPEG, PNG or PDF by content)."""
    account, app, ep = await gate(request, "materials")
    settings = request.app.state.settings
    items = {m["name"]: m for m in submission.required_materials(ep, app.condition)}
    data = await request.form(max_part_size=11 * 1024 * 1024)
    try:
        item = items.get(data.get("item"))
        if item is None:
            raise HTTPException(404)
        error, clean = None, None
        upload = data.get("file")
        if upload is None or not getattr(upload, "filename", None):
            error = "请选择文件"
        else:
            try:
                raw = await uploads.read_upload(upload, materials_rules.MAX_PDF_BYTES)
                clean = await anyio.to_thread.run_sync(materials_rules.clean_material, raw, item["types"])
            except uploads.UploadError as e:
                error = str(e)
    finally:
        await data.close()
    if error:
        ctx = await _materials_ctx(app, ep, {"item:" + item["name"]: error})
        return render(request, "wizard/materials.html", ctx, status=422)
    name = await anyio.to_thread.run_sync(uploads.store, settings.upload_dir, "material", clean.data, clean.extension)
    old = await Material.get_or_none(application_id=app.id, item=item["name"])
    try:
        if old:
            await Material.filter(id=old.id).update(stored=name, kind=clean.kind, pages=clean.pages)
        else:
            await Material.create(application_id=app.id, item=item["name"], stored=name, kind=clean.kind,
                                  pages=clean.pages)
    except BaseException:
        uploads.delete(settings.upload_dir, name)
        raise
    if old:
        uploads.delete(settings.upload_dir, old.stored)
    return redirect(request, step_url(app, "materials"))


async def material_delete(request: Request):
    account, app, ep = await gate(request, "materials")
    row = await Material.get_or_none(id=request.path_params["mid"], application_id=app.id)
    if row is None:
        raise HTTPException(404)
    await Material.filter(id=row.id).delete()
    uploads.delete(request.app.state.settings.upload_dir, row.stored)
    await Application.filter(id=app.id, status=Status.DRAFT).update(personal={**app.personal, "materials_done": False})
    return redirect(request, step_url(app, "materials"))


# ------------------------------------------------------------------ 信息确认 and 提交


async def _confirm_ctx(account, app, ep, errors=None):
    snap = await submission.snapshot(app, ep, account)
    return wizard.page_context(app, ep, "confirm", s=snap, fee=fees.yuan(snap.fee_fen), errors=errors or {},
                   has_materials=bool(ep.materials))


async def confirm(request: Request):
    account, app, ep = await gate(request, "confirm")
    wizard.check_window(ep, app.exam, now())
    if request.method == "GET":
        return render(request, "wizard/confirm.html", await _confirm_ctx(account, app, ep))
    form = Form(await request.form())
    try:
        await submission.submit(app, ep, account, now(), commitment=form.get("commitment") == "1",
                                    upload_dir=request.app.state.settings.upload_dir)
    except submission.SubmitError as e:
        ctx = await _confirm_ctx(account, app, ep, {"submit": str(e)})
        return render(request, "wizard/confirm.html", ctx, status=422)
    return redirect(request, step_url(app, "result"))


# ------------------------------------------------------------------ 审核告知


async def result(request: Request):
    account, app, ep = await gate(request, "result")
    return render(request, "wizard/result.html", wizard.page_context(app, ep, "result"))


# ------------------------------------------------------------------ 重新报名 and correcting a rejection


async def restart(request: Request):
    """重新报名 (top right, with a confirmation page): withdraws the application and starts again."""
    account = verified_candidate(request)
    app, ep = await own_application(request, account)
    if request.method == "GET":
        if app.status in (Status.PAID, Status.WITHDRAWN):
            return redirect(request, "/exams")
        return render(request, "wizard/restart.html", wizard.page_context(app, ep, wizard.first_incomplete(app, ep).id))
    closed = await submission.withdraw(app, now())
    if closed is None:
        return render(request, "wizard/restart.html", wizard.page_context(app, ep, "result", refused=True), status=409)
    for number in closed:
        await request.app.state.providers.payments.close(number)
    return redirect(request, "/exams?restarted=1")


async def revise(request: Request):
    """修改后重新提交: a rejected application returns to the wizard; the reviewers will see 重新提交."""
    account = verified_candidate(request)
    app, ep = await own_application(request, account)
    if not await submission.reopen_rejected(app, now()):
        return redirect(request, step_url(app, "result"))
    return redirect(request, step_url(app, "info"))


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
    Route("/apply/{app_id:int}/sites", site_options, name="step_info_sites"),
    Route("/apply/{app_id:int}/fee", fee, name="step_info_fee"),
    Route("/apply/{app_id:int}/photo", photo, methods=["POST"], name="step_info_photo"),
    Route("/apply/{app_id:int}/photo/accept", photo_accept, methods=["POST"], name="step_info_photo_accept"),
    Route("/apply/{app_id:int}/materials", materials, methods=["GET", "POST"], name="step_materials"),
    Route("/apply/{app_id:int}/materials/upload", material_upload, methods=["POST"], name="step_material_upload"),
    Route("/apply/{app_id:int}/materials/{mid:int}/delete", material_delete, methods=["POST"],
          name="step_material_delete"),
    Route("/apply/{app_id:int}/confirm", confirm, methods=["GET", "POST"], name="step_confirm"),
    Route("/apply/{app_id:int}/result", result, name="step_result"),
    Route("/apply/{app_id:int}/restart", restart, methods=["GET", "POST"], name="restart"),
    Route("/apply/{app_id:int}/revise", revise, methods=["POST"], name="revise"),
]
