"""信息采集: the task list, one form per section (each saved on its own), and the confirmation."""
from __future__ import annotations

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from models.profiles import Education, Profile
from services.reference import regions
from services.accounts import profile as rules
from services.reference import options as reference
from services.documents import uploads
from services.reference.regions import PROVINCES
from services import clock
from services.clock import now
from web.forms import Form
from web.render import redirect, render
from web.sessions import verified_candidate

PHOTO_RULES = uploads.ImageRules(max_bytes=2 * 1024 * 1024, min_width=295, min_height=413, formats=("JPEG",))



async def index(request: Request):
    account = verified_candidate(request)
    profile = await rules.get_profile(account)
    educations = await Education.filter(account=account).order_by("graduated_on")
    sections = rules.sections(profile, educations)
    ctx = {"profile": profile, "sections": sections, "complete": all(s["done"] for s in sections),
           "account": account, "verified_now": request.query_params.get("verified"),
           "confirmed_now": request.query_params.get("confirmed")}
    return render(request, "profile/index.html", ctx)


def _basic_ctx(account, profile, values=None, errors=None):
    if values is None:
        values = {k: getattr(profile, k) or "" for k in ("ethnicity", "political_status", "address", "postcode",
                                                         "email", "gender")}
        values["birth_date"] = profile.birth_date.isoformat() if profile.birth_date else ""
    return {"account": account, "profile": profile, "values": values, "errors": errors or {},
            "ethnic_groups": reference.ETHNIC_GROUPS, "political": reference.POLITICAL_STATUS, "rules": PHOTO_RULES}


async def _clean_photo(upload) -> uploads.CleanImage:
    data = await uploads.read_upload(upload, PHOTO_RULES.max_bytes)
    if len(data) <= rules.PHOTO_MIN_BYTES:
        raise uploads.UploadError("照片文件应大于10KB，请上传清晰的照片")
    image = await anyio.to_thread.run_sync(uploads.clean_image, data, PHOTO_RULES)
    if not 0.70 <= image.width / image.height <= 0.80:
        raise uploads.UploadError(f"照片应为竖版3:4比例（如295×413像素），您上传的是{image.width}×{image.height}")
    return image


async def basic(request: Request):
    account = verified_candidate(request)
    profile = await rules.get_profile(account)
    if request.method == "GET":
        return render(request, "profile/basic.html", _basic_ctx(account, profile))
    data = await request.form(max_part_size=3 * 1024 * 1024)
    try:
        form = Form(data)
        values = rules.validate_basic(form, account, clock.today())
        upload = data.get("photo")
        image = None
        if upload is not None and getattr(upload, "filename", None):
            try:
                image = await _clean_photo(upload)
            except uploads.UploadError as e:
                form.error("photo", str(e))
        elif not profile.photo:
            form.error("photo", "请上传证件照")
    finally:
        await data.close()
    if form.errors:
        typed = {**values, "birth_date": form.get("birth_date")}
        return render(request, "profile/basic.html", _basic_ctx(account, profile, typed, form.errors), status=422)
    upload_dir = request.app.state.settings.upload_dir
    if image is not None:
        name = await anyio.to_thread.run_sync(uploads.store, upload_dir, "photo", image.data, image.extension)
        try:
            await rules.save_section(account, {**values, "photo": name, "basic_saved": True})
        except BaseException:
            uploads.delete(upload_dir, name)
            raise
        if profile.photo:
            uploads.delete(upload_dir, profile.photo)
    else:
        await rules.save_section(account, {**values, "basic_saved": True})
    return redirect(request, "/profile?saved=basic")


async def education(request: Request):
    account = verified_candidate(request)
    entries = await Education.filter(account=account).order_by("graduated_on")
    ctx = {"entries": entries, "levels": reference.EDUCATION_LEVELS, "values": {}, "errors": {}}
    if request.method == "GET":
        return render(request, "profile/education.html", ctx)
    form = Form(await request.form())
    birth = rules.birth_date_of(account, await Profile.get_or_none(account_id=account.id))
    values = rules.validate_education(form, clock.today(), birth)
    if form.errors:
        ctx.update(values={k: form.get(k) for k in values}, errors=form.errors)
        return render(request, "profile/education.html", ctx, status=422)
    await Education.create(account=account, **values)
    await rules.save_section(account, {})
    return redirect(request, "/profile/education")


async def education_delete(request: Request):
    account = verified_candidate(request)
    deleted = await Education.filter(id=request.path_params["id"], account=account).delete()
    if not deleted:
        raise HTTPException(404)
    await rules.save_section(account, {})
    return redirect(request, "/profile/education")


def _iso(value) -> str:
    return value.isoformat() if value else ""


async def degree(request: Request):
    account = verified_candidate(request)
    profile = await rules.get_profile(account)
    ctx = {"degrees": reference.DEGREES, "errors": {},
           "values": {"degree": profile.degree or "", "degree_org": profile.degree_org or "",
                      "degree_date": _iso(profile.degree_date)}}
    if request.method == "GET":
        return render(request, "profile/degree.html", ctx)
    form = Form(await request.form())
    educations = await Education.filter(account=account)
    values = rules.validate_degree(form, clock.today(), rules.birth_date_of(account, profile), educations)
    if form.errors:
        ctx.update(values={k: form.get(k) for k in ("degree", "degree_org", "degree_date")}, errors=form.errors)
        return render(request, "profile/degree.html", ctx, status=422)
    await rules.save_section(account, values)
    return redirect(request, "/profile?saved=degree")


async def work(request: Request):
    account = verified_candidate(request)
    profile = await rules.get_profile(account)
    stored = {"no_employer": "1" if profile.no_employer else "", "employer": profile.employer or "",
              "employer_province": profile.employer_province or "", "employer_city": profile.employer_city or "",
              "accounting_start": _iso(profile.accounting_start), "position": profile.position or ""}
    if request.method == "GET":
        if request.query_params.get("employer_province") in PROVINCES:  # no-JavaScript province change
            stored.update({k: request.query_params.get(k, "") for k in stored})
        return render(request, "profile/work.html", _work_ctx(stored, {}))
    form = Form(await request.form())
    values = rules.validate_work(form, clock.today(), rules.birth_date_of(account, profile))
    if form.errors:
        typed = {k: form.get(k) for k in stored}
        return render(request, "profile/work.html", _work_ctx(typed, form.errors), status=422)
    await rules.save_section(account, {**values, "work_saved": True})
    return redirect(request, "/profile?saved=work")


def _work_ctx(values, errors):
    return {"values": values, "errors": errors, "provinces": PROVINCES,
            "employer_cities": regions.cities(values.get("employer_province", ""))}


async def confirm(request: Request):
    account = verified_candidate(request)
    profile = await rules.get_profile(account)
    educations = await Education.filter(account=account)
    if not all(s["done"] for s in rules.sections(profile, educations)):
        return redirect(request, "/profile?incomplete=1")
    await Profile.filter(account_id=account.id).update(confirmed_at=now())
    return redirect(request, "/profile?confirmed=1")


routes = [
    Route("/profile", index, name="profile"),
    Route("/profile/basic", basic, methods=["GET", "POST"], name="profile_basic"),
    Route("/profile/education", education, methods=["GET", "POST"], name="profile_education"),
    Route("/profile/education/{id:int}/delete", education_delete, methods=["POST"], name="profile_education_delete"),
    Route("/profile/degree", degree, methods=["GET", "POST"], name="profile_degree"),
    Route("/profile/work", work, methods=["GET", "POST"], name="profile_work"),
    Route("/profile/confirm", confirm, methods=["POST"], name="profile_confirm"),
]
