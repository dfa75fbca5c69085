"""网上缴费 (生成订单, 支付, the return page, the gateway's notifications) and the reviewers' 对账 view."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from models.applications import Application, Status
from models.exams import ExamProvince
from models.payments import Order, OrderStatus
from services.accounts.names import mask_id_number
from services.clock import now
from services.payment import notifications, orders
from services.payment import reconcile as reconciling
from services.reference.regions import PROVINCES
from services.registration import wizard
from services.registration.fees import yuan
from services.review.scope import scope_of
from web.forms import ascii_fields, posted
from web.render import is_fragment_request, redirect, render
from web.sessions import current_reviewer, own_application, verified_candidate


async def _approved_application(request: Request):
    """The candidate's own application (else 404); before approval the page is the review notice."""
    _, app, ep = await own_application(request)
    if app.status not in (Status.APPROVED, Status.PAID):
        raise HTTPException(303, headers={"Location": f"/apply/{app.id}/result"})
    return app, ep


PAGE = wizard.BY_ID["pay"].template  # 网上缴费 is the wizard's last step


async def _pay_ctx(app: Application, ep: ExamProvince, errors: dict | None = None, platform: str = "") -> dict:
    shown = await orders.shown_order(app.id, now())
    order, s = shown.order, app.submission
    return wizard.page_context(
        app, ep, "pay", s=s, masked_id=mask_id_number(s.candidate.id_number), order=order, state=shown.state,
        state_label=shown.label, amount=yuan(order.amount_fen) if order else "",
        window_error=orders.window_error(ep, now()), errors=errors or {}, platform=platform)


async def pay_page(request: Request):
    app, ep = await _approved_application(request)
    return render(request, PAGE, await _pay_ctx(app, ep))


async def create_order(request: Request):
    """生成订单: the amount is the server's, never the page's; htmx swaps the order box in place."""
    app, ep = await _approved_application(request)
    settings = request.app.state.settings
    try:
        await orders.create_order(app, ep, request.app.state.providers.payments, now(), settings.order_timeout_seconds)
    except orders.OrderError as e:
        return render(request, PAGE, await _pay_ctx(app, ep, {"order": str(e)}),
                      fragment="pay_order.html", status=422)
    if is_fragment_request(request):
        return render(request, PAGE, await _pay_ctx(app, ep), fragment="pay_order.html")
    return redirect(request, f"/apply/{app.id}/pay")


async def start_payment(request: Request):
    """支付: on to the chosen platform's payment page."""
    app, ep = await _approved_application(request)
    form = await posted(request)
    platform = form.get("platform")
    try:
        url = await orders.start_payment(app, ep, request.app.state.providers.payments, platform, now())
    except orders.OrderError as e:
        return render(request, PAGE, await _pay_ctx(app, ep, {"platform": str(e)}, platform),
                      fragment="pay_order.html", status=422)
    return redirect(request, url)


async def _own_order(request: Request) -> Order:
    order = await orders.own_order(verified_candidate(request).id, request.path_params["number"])
    if order is None:
        raise HTTPException(404)
    return order


async def return_page(request: Request):
    """Where the gateway sends the browser back. It never trusts its query string: the state shown is what a
    notification or a status query established; 查询支付结果 (POST) asks the gateway."""
    order = await _own_order(request)
    if request.method == "POST":
        await notifications.query_and_settle(order, request.app.state.providers.payments, now())
        return redirect(request, f"/pay/return/{order.number}")
    state = orders.effective_status(order, now())
    ep = await request.app.state.reference.province(order.application.province_id)
    return render(request, "payment/return.html", {"order": order, "state": state, "ep": ep, "amount": yuan(
        order.amount_fen), "state_label": orders.STATUS_LABELS[state], "app": order.application})


async def notify(request: Request):
    """The gateway's server-to-server notification (exempt from CSRF: it carries the gateway's signature).
    Its size is bounded by the route's limit (web.limits: "fail", 413); anything but printable ASCII fields,
    each once, is not what the gateway signs: "fail" without looking further."""
    try:
        raw = await request.body()
    except HTTPException:  # cut off at the route's limit (a body sent without a Content-Length)
        return PlainTextResponse("fail", status_code=413)
    fields = ascii_fields(raw)
    if fields is None:
        return PlainTextResponse("fail")
    ok = await notifications.receive_notification(fields, raw.decode("ascii"), request.app.state.providers.payments,
                                                  now())
    return PlainTextResponse("success" if ok else "fail")


# ------------------------------------------------------------------ 对账 (reviewers)


async def reconcile(request: Request):
    """对账: orders by state, the paid total, and the notifications that did not match (late_paid, rejected)."""
    reviewer = current_reviewer(request)
    if reviewer is None:
        raise HTTPException(404)
    scope = await scope_of(request.app.state.reference, reviewer)
    return render(request, "payment/reconcile.html", {
        "reviewer": reviewer, "province_name": PROVINCES.get(reviewer.province_code, reviewer.province_code),
        "city_name": scope.city_name, "labels": OrderStatus.LABELS, "yuan": yuan,
        **await reconciling.reconciliation(scope, now())})


routes = [
    Route("/apply/{app_id:id}/pay", pay_page, name="pay"),
    Route("/apply/{app_id:id}/pay/order", create_order, methods=["POST"], name="pay_order"),
    Route("/apply/{app_id:id}/pay/start", start_payment, methods=["POST"], name="pay_start"),
    Route("/pay/return/{number:order}", return_page, methods=["GET", "POST"], name="pay_return"),
    Route("/pay/notify", notify, methods=["POST"], name="pay_notify"),
    Route("/review/reconcile", reconcile, name="reconcile"),
]
