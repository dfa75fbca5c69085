"""会计专业技术资格考试 网上报名: 选择考试 → 选择省份 → 阅读须知 → 通知公告 → 选择报考条件 → …

Every step handler goes through `gate`: the candidate's own application (anyone else's id is 404), a step that
is not open to it yet sends the candidate to the first incomplete one, and a step of the draft is served only
while the province's registration is open. The steps themselves (order, template, next step) are
services.registration.wizard's; every change of the draft is a function of services.registration.drafts.
"""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from models.applications import Status
from services import clock
from services.reference import options as reference
from services.reference import regions
from services.reference.regions import PROVINCES
from services.registration import applications, drafts, eligibility, fees, photos, submission, wizard
from services.registration import personal as personal_data
from services.scores import results as score_results
from web.forms import Form, posted, province_from_city
from web.render import redirect, render
from web.sessions import own_application, verified_candidate

# A refused upload (the application submitted meanwhile) answers with this status and drafts.NOT_A_DRAFT.
CONFLICT = 409


def step_url(app, step: wizard.Step) -> str:
    return f"/apply/{app.id}/{step.id}"


async def gate(request: Request, step_id: str):
    """(account, application, province registration, step) for a request of the step `step_id`."""
    account, app, ep = await own_application(request)
    step = wizard.BY_ID[step_id]
    if not wizard.allowed(app, ep, step_id):
        raise HTTPException(303, headers={"Location": step_url(app, wizard.first_incomplete(app, ep))})
    if step.in_window:
        wizard.check_window(ep, app.exam, clock.now())
    return account, app, ep, step


def after(request: Request, saved: bool, app, ep, step: wizard.Step):
    """After a step's change: on to the step that follows it, or (no longer a draft: submitted in another
    tab meanwhile) to the step the application is at, 审核告知."""
    return redirect(request, step_url(app, step.next(app, ep) if saved else wizard.BY_ID["result"]))


# ------------------------------------------------------------------ 选择考试


async def exams(request: Request):
    account = verified_candidate(request)
    rows, active = await applications.exams_with_active(request.app.state.reads, account.id)
    passed = await score_results.passed_levels(request.app.state.reads, account.id, clock.now())  # a passed level: a message, no 进入
    return render(request, "wizard/exams.html", {"exams": rows, "active": active, "passed": passed})


async def enter(request: Request):
    """进入: resume the active application for this exam, or start one."""
    account = verified_candidate(request)
    exam = await request.app.state.reference.exam(request.path_params["exam_id"])
    if exam is not None and exam.level in await score_results.passed_levels(request.app.state.reads, account.id, clock.now()):
        return redirect(request, "/exams")  # passed: the list says so (合格 with the year), nothing is started
    entered = await drafts.enter(request.app.state.reference, account.id, request.path_params["exam_id"])
    if entered is None:
        raise HTTPException(404)
    app, ep = entered
    return redirect(request, step_url(app, wizard.first_incomplete(app, ep)))


# ------------------------------------------------------------------ 选择省份


async def province(request: Request):
    account, app, ep, step = await gate(request, "province")
    t = clock.now()
    rows = await wizard.provinces(request.app.state.reference, app.exam_id, t)
    if request.method == "GET":
        return render(request, step.template, wizard.page_context(app, ep, step.id, rows=rows))
    form = await posted(request)
    chosen = next((r["ep"] for r in rows if r["ep"].province_code == form.get("province")), None)
    if chosen is None:
        raise HTTPException(404)
    wizard.check_window(chosen, app.exam, t)
    saved = await drafts.choose_province(app, chosen)
    return after(request, saved, app, chosen, step)


async def province_link(request: Request):
    """A direct link to a province's registration: entry only inside its window, whatever the URL."""
    verified_candidate(request)
    exam = await request.app.state.reference.exam(request.path_params["exam_id"])
    rows = await wizard.provinces(request.app.state.reference, exam.id, clock.now()) if exam else []
    row = next((r for r in rows if r["ep"].province_code == request.path_params["code"]), None)
    if row is None:
        raise HTTPException(404)
    wizard.check_window(row["ep"], exam, clock.now())
    return render(request, "wizard/closed.html", {"ep": row["ep"], "name": row["name"], "state": "open",
                                                  "exam": exam})


async def closed_page(request: Request, exc: wizard.RegistrationClosed):
    """报名尚未开始 / 报名已结束, for any step or link of a province whose window is not open."""
    return render(request, "wizard/closed.html", {"ep": exc.ep, "name": PROVINCES[exc.ep.province_code],
                                                  "state": exc.state, "exam": exc.exam}, status=403)


exception_handlers = {wizard.RegistrationClosed: closed_page}


# ------------------------------------------------------------------ 阅读须知, 通知公告


async def notice(request: Request):
    account, app, ep, step = await gate(request, "notice")
    if request.method == "GET":
        return render(request, step.template, wizard.page_context(app, ep, step.id, errors={}))
    form = await posted(request)
    if form.get("agree") != "1":
        return render(request, step.template,
                      wizard.page_context(app, ep, step.id, errors={"agree": "请先阅读并选择“完全同意”"}), status=422)
    return after(request, await drafts.agree_notice(app, clock.now()), app, ep, step)


async def announcements(request: Request):
    account, app, ep, step = await gate(request, "announcements")
    if request.method == "GET":
        rows = await wizard.announcements(request.app.state.reference, ep.id)
        return render(request, step.template, wizard.page_context(app, ep, step.id, announcements=rows))
    return after(request, await drafts.read_announcements(app, clock.now()), app, ep, step)


async def announcement(request: Request):
    account, app, ep, step = await gate(request, "announcements")
    rows = await wizard.announcements(request.app.state.reference, ep.id)
    row = next((a for a in rows if a.id == request.path_params["aid"]), None)
    if row is None:
        raise HTTPException(404)
    return render(request, "wizard/announcement.html", wizard.page_context(app, ep, step.id, a=row))


# ------------------------------------------------------------------ 选择报考条件


async def condition(request: Request):
    account, app, ep, step = await gate(request, "condition")
    checks = await eligibility.checks_for(account.id, app.exam.year, ep.conditions)
    if request.method == "GET":
        return render(request, step.template, wizard.page_context(app, ep, step.id, checks=checks, errors={},
                                                                  chosen=app.condition))
    form = await posted(request)
    code = form.get("condition")
    chosen = next((c for c in checks if c.code == code), None)
    error = None
    if chosen is None:
        error = "请选择报考条件"
    elif not chosen.met:
        error = f"不符合该报考条件：{chosen.reason}"
    if error:
        return render(request, step.template, wizard.page_context(app, ep, step.id, checks=checks, chosen=code,
                                                                  errors={"condition": error}), status=422)
    return after(request, await drafts.choose_condition(app, code), app, ep, step)


# ------------------------------------------------------------------ 报名信息填写


def _typed(form: Form) -> tuple[dict, dict]:
    """What the candidate typed in the whole form, kept through a photo upload, successful or not, and the
    page's other round trips: (personal values, the city, site and subjects chosen)."""
    values = {k: form.get(k, strip=False) for k in personal_data.PERSONAL_FIELDS}
    chosen = {"city_id": form.id("city"), "site_id": form.id("site"), "subjects": form.texts("subjects")}
    return values, chosen


PREVIEW_FIRST = "所选照片已自动处理，请确认下方预览后点击“使用此照片”"

# How the server adjusted a photo, carried by the redirect after 上传照片 (a word of ours, nothing typed).
ADJUSTED = {"both": "裁剪并缩放", "crop": "裁剪", "scale": "缩放"}


def _adjusted(done) -> str:
    """The ADJUSTED code of a photo just stored (drafts.upload_photo's answer), '' when it was used as sent."""
    return next((code for code, words in ADJUSTED.items() if f"已自动{words}为" in done.note), "")


async def _info_page(request: Request, app, ep, values: dict, errors: dict, *, status: int = 200, city_id=None,
                     site_id=None, subjects=None, photo_note=""):
    """The 报名信息填写 page (and the photo's answers): reference data, and who is registering (the account; its
    信息采集 only for a 证件 that does not give 性别 and 出生日期)."""
    refdata = request.app.state.reference
    cities = await refdata.cities(ep.id)
    if city_id is None and app.site_id:
        city_id = await refdata.site_city(app.site_id)
    chosen_subjects = app.subjects if subjects is None else subjects
    fewest, most = fees.subject_rule(app.exam)
    # 中级 成绩滚动: last year's passed subjects are shown with their validity, and offered no more
    carried = await score_results.carried(verified_candidate(request).id, app.exam, clock.now())
    ctx = wizard.page_context(
        app, ep, "info", cities=cities, city_id=city_id, site_id=site_id or app.site_id,
        sites=await refdata.sites(ep.id, city_id), subjects=chosen_subjects,
        fee=fees.yuan(fees.fee_fen(ep, chosen_subjects)), fewest=fewest, most=most,
        values=values, errors=errors, ethnic_groups=reference.ETHNIC_GROUPS,
        political=reference.POLITICAL_STATUS, levels=reference.EDUCATION_LEVELS, degrees=reference.DEGREES,
        provinces=PROVINCES, employer_cities=regions.cities(values.get("employer_province", "")),
        photo_note=photo_note, who=await personal_data.registrant(verified_candidate(request)),
        per_person=fees.yuan(ep.fee_per_person_fen),
        per_subject=fees.yuan(ep.fee_per_subject_fen), carried=carried)
    return render(request, wizard.BY_ID["info"].template, ctx, status=status)


async def _kept(request: Request, app, ep, form: Form, *, adjusted: str = ""):
    """The page's own round trips (上传照片, 使用此照片, and without JavaScript 更新报名点 / 计算费用): what was
    typed is kept in the draft (drafts.keep_typed) and the answer is a redirect to the page (PRG), so that
    Back and reload show 报名信息填写, never a POST's address, and nothing typed goes into a URL. Only a site
    of the chosen city with a place left (or the one already held) and the exam's own subjects are kept; a
    city chosen without its site yet rides in the address (`?city=`: an id of the exam's data, nothing personal)."""
    url = step_url(app, wizard.BY_ID["info"])
    anchor = "#photo-box" * bool(adjusted or "photo" in request.url.path)
    if not any(k in form.data for k in (*personal_data.PERSONAL_FIELDS, "city", "site", "subjects")):
        # Only the file came (not the page's form): the draft keeps what it holds, and its step stays as it was.
        return redirect(request, url + (f"?adjusted={adjusted}" if adjusted else "") + anchor)
    values, chosen = _typed(form)
    city_id = chosen["city_id"] if chosen["city_id"] in {c.id for c in await request.app.state.reference.cities(ep.id)} else None
    sites = await request.app.state.reference.sites(ep.id, city_id) if city_id else []
    site = next((x for x in sites if x.id == chosen["site_id"]), None)
    site_id = site.id if site is not None and (site.taken < site.capacity or site.id == app.site_id) else app.site_id
    subjects = [x for x in dict.fromkeys(chosen["subjects"]) if x in app.exam.subjects]
    await drafts.keep_typed(app, site_id, subjects, values)  # not a draft any more: the gate sends it on
    query = [f"city={city_id}"] if city_id and site_id not in {x.id for x in sites} else []
    query += [f"adjusted={adjusted}"] if adjusted else []
    return redirect(request, url + ("?" + "&".join(query) if query else "") + anchor)


async def info(request: Request):
    account, app, ep, step = await gate(request, "info")
    if not app.personal and not await drafts.start_personal(app, account, request.app.state.settings.upload_dir):
        return redirect(request, step_url(app, step))  # changed meanwhile: read it again
    if request.method == "GET":
        # Nothing typed is ever read from the address: only the city whose sites to list, and how the server
        # adjusted a photo just uploaded (both set by our own redirect, _kept).
        q = Form(request.query_params)
        city_id = q.id("city")
        if city_id not in {c.id for c in await request.app.state.reference.cities(ep.id)}:
            city_id = None
        note = ""
        if app.pending_photo and q.get("adjusted") in ADJUSTED:
            rules = photos.PhotoRules.from_province(ep.photo_rules)
            note = f"已自动{ADJUSTED[q.get('adjusted')]}为{rules.min_width}×{rules.min_height}像素"
        return await _info_page(request, app, ep, personal_data.take_values(app), {}, city_id=city_id,
                                photo_note=note)
    form = await posted(request)  # multipart: the photo input is part of the form (web.limits)
    province_from_city(form, "employer_province", "employer_city")
    try:
        values, chosen = _typed(form)
        # A photo chosen but not sent with 上传照片 goes with the button pressed (the form holds its input): the
        # page's round trips without JavaScript as 确认无误，下一步, since a browser never keeps a file input's choice.
        chosen_photo = form.data.get("photo")
        sent = None
        if getattr(chosen_photo, "filename", None):
            sent = await drafts.upload_photo(app, ep, request.app.state.settings.upload_dir, chosen_photo)
        if form.get("refresh"):  # without JavaScript: 更新报名点 / 计算费用 (the page again, nothing checked)
            if sent is not None and sent.error:  # the photo refused: its message, the rest as typed
                return await _info_page(request, app, ep, values, {"photo": sent.error},
                                        status=CONFLICT if sent.refused else 422, **chosen)
            return await _kept(request, app, ep, form, adjusted=_adjusted(sent) if sent is not None else "")
        checked = await personal_data.check_info(form, account, app, ep, today=clock.today(), **chosen)
    finally:
        await form.close()
    if sent is not None and (sent.error or app.pending_photo):  # refused, or adjusted: its preview to confirm
        checked.errors["photo"] = sent.error or PREVIEW_FIRST
    if checked.errors:
        return await _info_page(request, app, ep, checked.personal, checked.errors, status=422, **chosen)
    saved = await drafts.save_info(app, chosen["site_id"], chosen["subjects"], checked.personal)
    return after(request, saved, app, ep, step)


async def site_options(request: Request):
    """The 报名点 list that follows the 报考地市 (htmx); a full site shows 已满 and cannot be chosen."""
    account, app, ep, step = await gate(request, "info")
    sites = await request.app.state.reference.sites(ep.id, Form(request.query_params).id("city"))
    return render(request, "site_select.html", {"sites": sites, "site_id": app.site_id})


async def fee(request: Request):
    """The fee total as subjects are ticked (computed by the server, in fen)."""
    account, app, ep, step = await gate(request, "info")
    subjects = [s for s in Form(request.query_params).texts("subjects") if s in app.exam.subjects]
    return render(request, "fee_total.html", {"fee": fees.yuan(fees.fee_fen(ep, subjects)),
                                              "subjects": subjects})


async def photo(request: Request):
    """个人照片: prepared by the server; an adjusted photo waits for 使用此照片 (preview). Stored: a redirect to
    the page with what was typed kept (_kept); refused: the page again with the message next to the field."""
    account, app, ep, step = await gate(request, "info")
    if request.method == "GET":  # the address of the upload, reopened from history: the page itself
        return redirect(request, step_url(app, step))
    form = await posted(request)  # the photo: bounded by the route's limit (web.limits)
    try:
        values, chosen = _typed(form)
        done = await drafts.upload_photo(app, ep, request.app.state.settings.upload_dir, form.data.get("photo"))
        if not done.error:
            return await _kept(request, app, ep, form, adjusted=_adjusted(done))
    finally:
        await form.close()
    status = CONFLICT if done.refused else 422
    return await _info_page(request, app, ep, values, {"photo": done.error}, status=status, **chosen)


async def photo_accept(request: Request):
    """使用此照片: the previewed photo becomes the application's photo (then the page again, as after 上传照片)."""
    account, app, ep, step = await gate(request, "info")
    if request.method == "GET":
        return redirect(request, step_url(app, step))
    form = await posted(request)
    await form.close()  # a photo chosen again meanwhile is not this button's: only the typed values are kept
    values, chosen = _typed(form)
    if (await drafts.accept_photo(app, request.app.state.settings.upload_dir)).applied:
        return await _kept(request, app, ep, form)
    return await _info_page(request, app, ep, values, {"photo": drafts.NOT_A_DRAFT}, status=CONFLICT, **chosen)


# ------------------------------------------------------------------ 证明材料上传


async def _materials_page(request: Request, app, ep, errors: dict | None = None, status: int = 200):
    step = wizard.BY_ID["materials"]
    ctx = wizard.page_context(app, ep, step.id, items=submission.required_materials(ep, app.condition),
                              files=await applications.materials_of(request.app.state.reads, app.id), errors=errors or {})
    return render(request, step.template, ctx, status=status)


async def _upload_chosen(request: Request, app, items: dict, form: Form, pressed: str | None) -> tuple[dict, bool]:
    """Every file chosen in the page's one form (`file:<item>`), whichever button sent it: a row's 上传 (`pressed`,
    whose file may also come as `file`) or 下一步, so a file chosen without pressing 上传 is not lost. Returns
    the messages by row ("item:<name>") and whether a change was refused (the application submitted meanwhile)."""
    errors, refused = {}, False
    for name, item in items.items():
        upload = form.data.get("file:" + name) or (form.data.get("file") if name == pressed else None)
        if name != pressed and not getattr(upload, "filename", None):
            continue  # nothing chosen for this row
        done = await drafts.upload_material(app, request.app.state.settings.upload_dir, item, upload)
        if done.error:
            errors["item:" + name] = done.error
            refused = refused or done.refused
    return errors, refused


async def materials(request: Request):
    account, app, ep, step = await gate(request, "materials")
    if request.method == "GET":
        return await _materials_page(request, app, ep)
    items = {m["name"]: m for m in submission.required_materials(ep, app.condition)}
    form = await posted(request)  # the files chosen: bounded by the route's limit (web.limits)
    try:
        errors, refused = await _upload_chosen(request, app, items, form, None)
    finally:
        await form.close()
    if errors:
        return await _materials_page(request, app, ep, errors, CONFLICT if refused else 422)
    missing = await drafts.finish_materials(app, ep)
    if missing:  # the summary, and each missing item's own row
        errors = {"materials": "请上传必传的证明材料：" + "、".join(missing)}
        errors.update({"item:" + name: "此项为必传材料，请选择文件后点击“上传”" for name in missing})
        return await _materials_page(request, app, ep, errors, 422)
    return after(request, missing is not None, app, ep, step)


async def material_upload(request: Request):
    """上传 (or 更换) of one row: its file, and any other row's file chosen meanwhile (JPEG, PNG or PDF by content)."""
    account, app, ep, step = await gate(request, "materials")
    items = {m["name"]: m for m in submission.required_materials(ep, app.condition)}
    form = await posted(request)  # the files: bounded by the route's limit (web.limits)
    try:
        if form.get("item") not in items:
            raise HTTPException(404)
        errors, refused = await _upload_chosen(request, app, items, form, form.get("item"))
    finally:
        await form.close()
    if errors:
        return await _materials_page(request, app, ep, errors, CONFLICT if refused else 422)
    return redirect(request, step_url(app, step))


async def material_delete(request: Request):
    account, app, ep, step = await gate(request, "materials")
    done = await drafts.delete_material(app, request.app.state.settings.upload_dir, request.path_params["mid"])
    if done is None:
        raise HTTPException(404)
    if not done.applied:
        return await _materials_page(request, app, ep, {"materials": drafts.NOT_A_DRAFT}, CONFLICT)
    return redirect(request, step_url(app, step))


# ------------------------------------------------------------------ 信息确认 and 提交


async def _confirm_page(request: Request, account, app, ep, errors: dict | None = None, status: int = 200):
    step = wizard.BY_ID["confirm"]
    snap = await submission.snapshot(app, ep, account)
    ctx = wizard.page_context(app, ep, step.id, s=snap, fee=fees.yuan(snap.fee_fen), errors=errors or {},
                              has_materials=bool(ep.materials))
    return render(request, step.template, ctx, status=status)


async def confirm(request: Request):
    account, app, ep, step = await gate(request, "confirm")
    if request.method == "GET":
        return await _confirm_page(request, account, app, ep)
    form = await posted(request)
    try:
        await submission.submit(app, ep, account, clock.now(), commitment=form.get("commitment") == "1",
                                upload_dir=request.app.state.settings.upload_dir)
    except submission.SubmitError as e:
        return await _confirm_page(request, account, app, ep, {"submit": str(e)}, 422)
    return redirect(request, step_url(app, step.next(app, ep)))


# ------------------------------------------------------------------ 审核告知


async def result(request: Request):
    account, app, ep, step = await gate(request, "result")
    return render(request, step.template, wizard.page_context(app, ep, step.id))


# ------------------------------------------------------------------ 重新报名 and correcting a rejection


async def restart(request: Request):
    """重新报名 (top right, with a confirmation page): withdraws the application and starts again."""
    account, app, ep = await own_application(request)
    if request.method == "GET":
        if app.status in (Status.PAID, Status.WITHDRAWN):
            return redirect(request, "/exams")
        return render(request, "wizard/restart.html", wizard.page_context(app, ep, wizard.first_incomplete(app, ep).id))
    if not await submission.withdraw(app, clock.now(), request.app.state.providers.payments):
        return render(request, "wizard/restart.html", wizard.page_context(app, ep, "result", refused=True), status=409)
    return redirect(request, "/exams?restarted=1")


async def revise(request: Request):
    """修改后重新提交: a rejected application returns to the wizard; the reviewers will see 重新提交."""
    account, app, ep = await own_application(request)
    if not await submission.reopen_rejected(app, clock.now()):
        return redirect(request, step_url(app, wizard.BY_ID["result"]))
    return redirect(request, step_url(app, wizard.CORRECTED_AT))


routes = [
    Route("/exams", exams, name="exams"),
    Route("/exams/{exam_id:id}/enter", enter, methods=["POST"], name="exam_enter"),
    Route("/exams/{exam_id:id}/provinces/{code:province}", province_link, name="province_link"),
    Route("/apply/{app_id:id}/province", province, methods=["GET", "POST"], name="step_province"),
    Route("/apply/{app_id:id}/notice", notice, methods=["GET", "POST"], name="step_notice"),
    Route("/apply/{app_id:id}/announcements", announcements, methods=["GET", "POST"], name="step_announcements"),
    Route("/apply/{app_id:id}/announcements/{aid:id}", announcement, name="step_announcement"),
    Route("/apply/{app_id:id}/condition", condition, methods=["GET", "POST"], name="step_condition"),
    Route("/apply/{app_id:id}/info", info, methods=["GET", "POST"], name="step_info"),
    Route("/apply/{app_id:id}/sites", site_options, name="step_info_sites"),
    Route("/apply/{app_id:id}/fee", fee, name="step_info_fee"),
    # GET too: a reload or Back to the address of an upload shows the page, not an error (PRG everywhere).
    Route("/apply/{app_id:id}/photo", photo, methods=["GET", "POST"], name="step_info_photo"),
    Route("/apply/{app_id:id}/photo/accept", photo_accept, methods=["GET", "POST"], name="step_info_photo_accept"),
    Route("/apply/{app_id:id}/materials", materials, methods=["GET", "POST"], name="step_materials"),
    Route("/apply/{app_id:id}/materials/upload", material_upload, methods=["POST"], name="step_material_upload"),
    Route("/apply/{app_id:id}/materials/{mid:id}/delete", material_delete, methods=["POST"],
          name="step_material_delete"),
    Route("/apply/{app_id:id}/confirm", confirm, methods=["GET", "POST"], name="step_confirm"),
    Route("/apply/{app_id:id}/result", result, name="step_result"),
    Route("/apply/{app_id:id}/restart", restart, methods=["GET", "POST"], name="restart"),
    Route("/apply/{app_id:id}/revise", revise, methods=["POST"], name="revise"),
]
