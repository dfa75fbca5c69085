"""网上缴费 (生成订单, 支付, the return page, the gateway's notifications) and the reviewers' 对账 view."""
from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from models.applications import Application, Status
from models.exams import ExamProvince
from models.payments import Order, OrderStatus, PaymentNotification
from services.payment import orders as payment
from services.review import queue as review
from services.accounts.names import mask_id_number
from services.reference.regions import PROVINCES
from services.registration.fees import yuan
from services.registration import applications, wizard
from services.clock import now
from web.forms import Form
from web.render import is_fragment_request, redirect, render
from web.sessions import current_reviewer, verified_candidate

MAX_NOTIFICATION_BYTES = 8 * 1024


async def _approved_application(request: Request):
    """The candidate's own application (else 404); before approval the page is the review notice."""
    account = verified_candidate(request)
    found = await applications.own(request.app.state.reads, request.app.state.reference, account.id,
                                   request.path_params["app_id"])
    if found is None:
        raise HTTPException(404)
    app, ep = found
    if app.status not in (Status.APPROVED, Status.PAID):
        raise HTTPException(303, headers={"Location": f"/apply/{app.id}/result"})
    return app, ep


async def _pay_ctx(app: Application, ep: ExamProvince, errors: dict | None = None, platform: str = "") -> dict:
    shown = await payment.shown_order(app.id, now())
    order, s = shown.order, app.submission
    return wizard.page_context(app, ep, "pay", s=s, masked_id=mask_id_number(s.candidate.id_number), order=order,
                   state=shown.state, state_label=shown.label,
                   amount=yuan(order.amount_fen) if order else "", window_error=payment.window_error(ep, now()),
                   errors=errors or {}, platform=platform)


async def pay_page(request: Request):
    app, ep = await _approved_application(request)
    return render(request, "payment/pay.html", await _pay_ctx(app, ep))


async def create_order(request: Request):
    """生成订单: the amount is the server's, never the page's; htmx swaps the order box in place."""
    app, ep = await _approved_application(request)
    settings = request.app.state.settings
    try:
        await payment.create_order(app, ep, request.app.state.providers.payments, now(), settings.order_timeout_seconds)
    except payment.OrderError as e:
        return render(request, "payment/pay.html", await _pay_ctx(app, ep, {"order": str(e)}),
                      fragment="pay_order.html", status=422)
    if is_fragment_request(request):
        return render(request, "payment/pay.html", await _pay_ctx(app, ep), fragment="pay_order.html")
    return redirect(request, f"/apply/{app.id}/pay")


async def start_payment(request: Request):
    """支付: on to the chosen platform's payment page."""
    app, ep = await _approved_application(request)
    form = Form(await request.form())
    platform = form.get("platform")
    try:
        url = await payment.start_payment(app, ep, request.app.state.providers.payments, platform, now())
    except payment.OrderError as e:
        return render(request, "payment/pay.html", await _pay_ctx(app, ep, {"platform": str(e)}, platform),
                      fragment="pay_order.html", status=422)
    return redirect(request, url)


async def _own_order(request: Request) -> Order:
    account = verified_candidate(request)
    order = await Order.get_or_none(number=request.path_params["number"],
                                    application__account_id=account.id).select_related("application")
    if order is None:
        raise HTTPException(404)
    return order


async def return_page(request: Request):
    """Where the gateway sends the browser back. It never trusts its query string: the state shown is what a
    notification or a status query established; 查询支付结果 (POST) asks the gateway."""
    order = await _own_order(request)
    if request.method == "POST":
        await payment.query_and_settle(order, request.app.state.providers.payments, now())
        return redirect(request, f"/pay/return/{order.number}")
    state = payment.effective_status(order, now())
    ep = await ExamProvince.get(id=order.application.province_id)
    return render(request, "payment/return.html", {"order": order, "state": state, "ep": ep, "amount": yuan(
        order.amount_fen), "state_label": payment.STATUS_LABELS[state], "app": order.application})


async def notify(request: Request):
    """The gateway's server-to-server notification (exempt from CSRF: it carries the gateway's signature)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_NOTIFICATION_BYTES:  # exempt from the CSRF check, so nothing else bounds it
            return PlainTextResponse("fail", status_code=413)
    body = raw.decode("utf-8", "replace")
    pairs = parse_qsl(body, keep_blank_values=True)
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated field could smuggle a second value past the signature
        fields = {}
    ok = await payment.receive_notification(fields, body, request.app.state.providers.payments, now())
    return PlainTextResponse("success" if ok else "fail")


# ------------------------------------------------------------------ 对账 (reviewers)


async def _scope(reviewer, via: str = "") -> Q:
    """The reviewer's province, and city when the reviewer belongs to one (Reviewer.city is the city's code,
    as Application.city_code). `via` is the path to the order from the model filtered ("order__" for
    notifications)."""
    scope = Q(**{f"{via}application__province__province_code": reviewer.province_code})
    if reviewer.city:
        scope &= Q(**{f"{via}application__city_code": reviewer.city})
    return scope


async def _order_counts(scope: Q, t) -> tuple[dict, int]:
    """Orders by state (an open order past its expiry counts as closed, as the candidate sees it) and the paid
    total in fen."""
    rows = await Order.filter(scope).group_by("status").annotate(n=Count("id"), total=Sum("amount_fen")).values(
        "status", "n", "total")
    by_status = {r["status"]: r for r in rows}
    n = {status: by_status.get(status, {}).get("n", 0) for status in OrderStatus.LABELS}
    expired = await Order.filter(scope, status=OrderStatus.OPEN, expires_at__lte=t).count()
    counts = {OrderStatus.OPEN: n[OrderStatus.OPEN] - expired, OrderStatus.PAID: n[OrderStatus.PAID],
              OrderStatus.CLOSED: n[OrderStatus.CLOSED] + expired}
    return counts, by_status.get(OrderStatus.PAID, {}).get("total") or 0


async def reconcile(request: Request):
    """对账: orders by state, the paid total, and the notifications that did not match (late_paid, rejected)."""
    reviewer = current_reviewer(request)
    if reviewer is None:
        raise HTTPException(404)
    scope, t = await _scope(reviewer), now()
    counts, total = await _order_counts(scope, t)
    mine = await _scope(reviewer, "order__")
    if not reviewer.city:  # a notification for no known order is placed by the province code in its number
        mine |= Q(order_id=None, order_number__contains=f"-{reviewer.province_code}-")
    notes = await PaymentNotification.filter(mine, outcome__in=("late_paid", "rejected")).order_by("-id").limit(200)
    orders = await Order.filter(scope).select_related("application").order_by("-id").limit(100)
    return render(request, "payment/reconcile.html", {
        "reviewer": reviewer, "province_name": PROVINCES.get(reviewer.province_code, reviewer.province_code),
        "city_name": (await review.scope_of(request.app.state.reference, reviewer)).cities.get(reviewer.city, reviewer.city) if reviewer.city else "",
        "counts": counts, "labels": OrderStatus.LABELS, "total": yuan(total), "notes": notes, "orders": orders,
        "effective": lambda o: payment.effective_status(o, t), "yuan": yuan})


routes = [
    Route("/apply/{app_id:int}/pay", pay_page, name="pay"),
    Route("/apply/{app_id:int}/pay/order", create_order, methods=["POST"], name="pay_order"),
    Route("/apply/{app_id:int}/pay/start", start_payment, methods=["POST"], name="pay_start"),
    Route("/pay/return/{number}", return_page, methods=["GET", "POST"], name="pay_return"),
    Route("/pay/notify", notify, methods=["POST"], name="pay_notify"),
    Route("/review/reconcile", reconcile, name="reconcile"),
]
