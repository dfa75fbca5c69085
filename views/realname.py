"""实名认证: the window (an htmx modal, or a full page without JavaScript) with 支付宝实名认证 and 线上实名认证."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from services import clock
from services.accounts import realname
from services.documents import qr
from services.reference import regions
from services.reference.regions import PROVINCES
from web.forms import Form, posted
from web.render import is_fragment_request, redirect, render
from web.sessions import login_required


async def _context(account, values=None, errors=None):
    latest = await realname.latest_request(account.id)
    values = values or {}
    province = values.get("province") or (latest.province_code if latest else "")
    return {"account": account, "latest": latest, "values": values, "errors": errors or {},
            "provinces": PROVINCES, "province": province, "cities": regions.cities(province),
            "city": values.get("city") or (latest.city_code if latest else ""), "fields": realname.IMAGE_FIELDS,
            "rules": realname.ID_IMAGE_RULES, "verified": realname.is_verified(account)}


async def page(request: Request):
    """The 实名认证 window: a full page, or the modal fragment for htmx (信息采集 without verification)."""
    account = login_required(request)
    q = Form(request.query_params)
    if realname.is_verified(account) and q.get("next"):
        return redirect(request, "/profile")
    # Without JavaScript the province is chosen by reloading the page with ?province= (the city list follows).
    province = q.get("province")
    ctx = await _context(account, {"province": province} if province in PROVINCES else None)
    return render(request, "realname/index.html", ctx, fragment="realname_modal.html")


async def start_alipay(request: Request):
    account = login_required(request)
    if realname.is_verified(account):
        return redirect(request, "/profile")
    attempt = await realname.start_alipay(request.app.state.providers.alipay, account, clock.now())
    return redirect(request, f"/realname/alipay/{attempt.certify_id}")


async def alipay_status(request: Request):
    account = login_required(request)
    attempt = await realname.alipay_attempt(account.id, request.path_params["certify_id"])
    if attempt is None:
        raise HTTPException(404)
    status = await realname.check_alipay(request.app.state.providers.alipay, attempt, clock.now())
    if status == "passed":
        return redirect(request, "/profile?verified=1")
    url = request.app.state.providers.alipay.certify_url(attempt.certify_id)
    ctx = {"attempt": attempt, "status": status, "qr_url": url,
           "qr": qr.svg_data_uri(url) if not is_fragment_request(request) else None}
    return render(request, "realname/alipay.html", ctx, fragment="alipay_status.html")


async def submit_online(request: Request):
    account = login_required(request)
    if realname.is_verified(account):
        return redirect(request, "/profile")
    latest = await realname.latest_request(account.id)
    if latest is not None and latest.status == "pending":
        return redirect(request, "/realname")
    form = await posted(request)  # the images: bounded by the route's limit (web.limits)
    try:
        # A city chosen from every province's list (without JavaScript) names its province.
        province, city = form.get("province"), form.get("city")
        province = province or regions.province_of(city) or ""
        images, errors = await realname.clean_images({f: form.data.get(f) for f in realname.IMAGE_FIELDS})
        errors.update(form.errors)
        errors.update(realname.region_errors(province, city))  # after the images: the order of the page
        if errors:
            ctx = await _context(account, {"province": province, "city": city}, errors)
            return render(request, "realname/index.html", ctx, status=422)
        submitted = await realname.submit_online(account.id, province, city, images,
                                                 request.app.state.settings.upload_dir)
    finally:
        await form.close()
    # Not submitted: verified or already waiting meanwhile (another tab); the page says which.
    return redirect(request, "/realname?submitted=1" if submitted else "/realname")


async def city_options(request: Request):
    """The city <select> that follows the province select (htmx cascading select)."""
    q = Form(request.query_params)
    province = q.get("province") or q.get("employer_province")
    name = q.get("name") or "city"
    if name not in ("city", "employer_city"):
        name = "city"
    ctx = {"cities": regions.cities(province), "city": "", "name": name, "province": province}
    return render(request, "city_select.html", ctx)


routes = [
    Route("/realname", page, name="realname"),
    Route("/realname/alipay", start_alipay, methods=["POST"], name="realname_alipay"),
    Route("/realname/alipay/{certify_id:token}", alipay_status, name="realname_alipay_status"),
    Route("/realname/online", submit_online, methods=["POST"], name="realname_online"),
]
