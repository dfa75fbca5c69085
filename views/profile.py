"""信息采集: the task list, one form per section (each saved on its own), and the confirmation.
The rules, the reads and the writes are services/accounts/profile.py."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from services import clock
from services.accounts import profile as rules
from services.reference import options as reference
from services.reference import regions
from services.reference.regions import PROVINCES
from web.forms import Form, posted, province_from_city
from web.render import redirect, render
from web.sessions import verified_candidate

# section → (its page, where a save goes)
PAGES = {
    "basic": ("profile/basic.html", "/profile?saved=basic"),
    "education": ("profile/education.html", "/profile/education"),
    "degree": ("profile/degree.html", "/profile?saved=degree"),
    "work": ("profile/work.html", "/profile?saved=work"),
}
CHOICES = {"ethnic_groups": reference.ETHNIC_GROUPS, "political": reference.POLITICAL_STATUS,
           "levels": reference.EDUCATION_LEVELS, "degrees": reference.DEGREES, "provinces": PROVINCES,
           "rules": rules.PHOTO_RULES}


async def index(request: Request):
    account = verified_candidate(request)
    rec = await rules.record(account.id, reads=request.app.state.reads)
    q = Form(request.query_params)
    ctx = {"profile": rec.profile, "sections": rec.sections, "complete": rec.complete, "account": account,
           "verified_now": q.get("verified"), "confirmed_now": q.get("confirmed")}
    return render(request, "profile/index.html", ctx)


async def _section(request: Request, section: str, save):
    """One section: GET shows the stored values; POST lets the service validate and save, then goes on, or shows
    the page again with what was typed and the messages (422)."""
    account = verified_candidate(request)
    if request.method == "GET":
        return await _page(request, account, section, None)
    form = await posted(request)  # the 证件照: bounded by the route's limit (web.limits)
    province_from_city(form, "employer_province", "employer_city")
    try:
        if await save(account, form, clock.today()):
            return redirect(request, PAGES[section][1])
    finally:
        await form.close()
    typed = {k: form.get(k) for k in rules.FIELDS[section]}
    return await _page(request, account, section, typed, form.errors, status=422)


async def _page(request: Request, account, section: str, typed: dict | None, errors: dict | None = None,
                status: int = 200):
    rec = await rules.record(account.id, educations=section == "education", reads=request.app.state.reads)
    values = rec.shown(section) if typed is None else typed
    ctx = {"account": account, "profile": rec.profile, "entries": rec.educations, "values": values,
           "errors": errors or {}, "employer_cities": regions.cities(values.get("employer_province", "")),
           **CHOICES}
    return render(request, PAGES[section][0], ctx, status=status)


async def basic(request: Request):
    upload_dir = request.app.state.settings.upload_dir

    async def save(account, form, today):
        return await rules.save_basic(account, form, today, photo=form.data.get("photo"), upload_dir=upload_dir)
    return await _section(request, "basic", save)


async def education(request: Request):
    return await _section(request, "education", rules.add_education)


async def degree(request: Request):
    return await _section(request, "degree", rules.save_degree)


async def work(request: Request):
    return await _section(request, "work", rules.save_work)


async def education_delete(request: Request):
    account = verified_candidate(request)
    if not await rules.delete_education(account.id, request.path_params["id"]):
        raise HTTPException(404)
    return redirect(request, "/profile/education")


async def confirm(request: Request):
    account = verified_candidate(request)
    if not await rules.confirm(account.id, clock.now()):
        return redirect(request, "/profile?incomplete=1")
    return redirect(request, "/profile?confirmed=1")


routes = [
    Route("/profile", index, name="profile"),
    Route("/profile/basic", basic, methods=["GET", "POST"], name="profile_basic"),
    Route("/profile/education", education, methods=["GET", "POST"], name="profile_education"),
    Route("/profile/education/{id:id}/delete", education_delete, methods=["POST"], name="profile_education_delete"),
    Route("/profile/degree", degree, methods=["GET", "POST"], name="profile_degree"),
    Route("/profile/work", work, methods=["GET", "POST"], name="profile_work"),
    Route("/profile/confirm", confirm, methods=["POST"], name="profile_confirm"),
]
