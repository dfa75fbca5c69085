"""准考证打印: the candidate's ticket as PDF, the 准考证打印 page of the home page, the public verification page
that the ticket's QR code opens, and the reviewers' copy of a ticket in their scope."""
from __future__ import annotations

import logging
from dataclasses import asdict
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.applications import Application, Status
from services.documents import printing, tickets
from services.review.scope import in_scope, scope_of
from web.render import render
from web.sessions import login_required, reviewer_required

log = logging.getLogger("kjks")


def pdf_response(data: bytes, number: str) -> Response:
    name = quote(f"准考证-{number}.pdf")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"ticket-{number}.pdf\"; filename*=UTF-8''{name}",
        "Cache-Control": "private, no-store"})


def refused(request: Request, app: Application, ep, reason: str) -> Response:
    """Why no ticket prints yet (or any more), as a page: not an error, a state of the application."""
    return render(request, "tickets/refused.html", {
        "app": app, "reason": reason, "window": tickets.window(ep), "status_label": Status.LABELS[app.status],
        "exam_name": app.submission.exam.name if app.snapshot else ""}, status=409)


async def ticket(request: Request):
    """The owner's ticket (anyone else's application is 404), paid, seated and inside the window."""
    account = login_required(request)
    state = request.app.state
    app = await printing.own(state.reads, account.id, request.path_params["app_id"])
    if app is None:
        raise HTTPException(404)
    ep = await state.reference.province(app.province_id) if app.province_id else None
    if reason := tickets.refusal(app, ep):
        return refused(request, app, ep, reason)
    found = await tickets.ticket_of(app, ep)
    if found is None:
        return refused(request, app, ep, tickets.UNSEATED)
    return pdf_response(await tickets.ticket_pdf(app, found, state.settings), found.number)


async def index(request: Request):
    """准考证打印 (the home page's entry): each active application of the candidate and whether its ticket prints."""
    account = login_required(request)
    state = request.app.state
    return render(request, "tickets/index.html", {"rows": await tickets.of_account(state.reference, account.id)})


async def verify(request: Request):
    """Anyone holding the paper ticket may check it: masked personal data and the sessions only."""
    found = await tickets.verify(request.app.state.reads, request.path_params["code"])
    if found is None:
        return render(request, "tickets/verify.html", {"found": False}, status=404)
    return render(request, "tickets/verify.html", {"found": True, **asdict(found)})


async def review_ticket(request: Request):
    """A reviewer's copy of a candidate's ticket (in scope, else 404), whatever the window: the office reprints
    one for a candidate who lost theirs."""
    state = request.app.state
    scope = await scope_of(state.reference, reviewer_required(request))
    app = await in_scope(scope, request.path_params["app_id"])
    if app is None:
        log.warning("review scope refused ticket %s rid=%s", request.url.path, request.state.request_id)
        raise HTTPException(404)
    ep = await state.reference.province(app.province_id)
    found = await tickets.ticket_of(app, ep) if app.status == Status.PAID else None
    if found is None:
        raise HTTPException(409, "该报名尚未编排考场，没有准考证。")
    return pdf_response(await tickets.ticket_pdf(app, found, state.settings), found.number)


routes = [
    Route("/tickets", index, name="tickets"),
    Route("/apply/{app_id:id}/ticket.pdf", ticket, name="ticket_pdf"),
    Route("/tickets/verify/{code:verify_code}", verify, name="ticket_verify"),
    Route("/review/applications/{app_id:id}/ticket.pdf", review_ticket, name="review_ticket"),
]
