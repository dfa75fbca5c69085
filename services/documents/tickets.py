"""准考证打印: when a candidate may print their ticket, what it prints (a `Ticket` for admission_pdf), and what the
public verification page opened from its QR code says (masked personal data and the sessions only).

A ticket prints for a paid application that the arrangement has given a 准考证号 and seats, inside the province's
准考证打印 window (ExamProvince.ticket_start / ticket_end, China time in the seed file). Before the window the
pages say when printing opens; once it has ended the button is gone. The QR code carries the application's
verification code, the same random code as its 报名表 (form_pdf.ensure_form_code): unguessable, and nothing
personal in the URL.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread

from db.reads import Reads
from models.applications import Application, Status
from services import clock
from services.accounts.names import mask_id_number, mask_name
from services.arrangement import reads as arrangement_reads
from services.documents import admission_pdf, form_pdf
from services.documents.admission_pdf import SessionSeat, Ticket
from services.reference.regions import PROVINCES

# Why a ticket does not print, as the candidate reads it.
UNPAID, NOT_YET, OVER, UNSEATED = "unpaid", "not_yet", "over", "unseated"


@dataclass(frozen=True)
class Window:
    """The 准考证打印 window of a province as it stands at `now`: none (not announced), before, open or over."""

    state: str
    start: datetime | None
    end: datetime | None


def window(ep, now: datetime | None = None) -> Window:
    now = now or clock.now()
    start, end = getattr(ep, "ticket_start", None), getattr(ep, "ticket_end", None)
    if ep is None or start is None or end is None:
        return Window("none", start, end)
    if now < start:
        return Window("before", start, end)
    return Window("open" if now <= end else "over", start, end)


def refusal(app: Application, ep, now: datetime | None = None) -> str | None:
    """Why this application prints no ticket now, before looking for its seats (None: it may, if seated)."""
    if app.status != Status.PAID:
        return UNPAID
    state = window(ep, now).state
    return None if state == "open" else OVER if state == "over" else NOT_YET


async def sessions_of(app_id: int) -> tuple[str, list[SessionSeat]] | None:
    """The application's 准考证号 and its seats in session order (each with the candidate's own subjects of that
    session), or None before the arrangement seated it."""
    found = await arrangement_reads.ticket_of(app_id)
    if found is None or not found.seats:
        return None
    return found.number, [SessionSeat(s.session_number, s.starts_at, s.ends_at, tuple(s.subjects), s.venue,
                                      s.venue_address, s.room_number, s.seat) for s in found.seats]


async def ticket_of(app: Application, ep) -> Ticket | None:
    """What the ticket prints: the submission snapshot's person and photo, the arrangement's number and seats."""
    found = await sessions_of(app.id)
    if found is None or not app.snapshot:
        return None
    number, sessions = found
    s = app.submission
    return Ticket(s.exam.name, s.exam.level, s.province.name, s.candidate.name, s.candidate.id_type,
                  s.candidate.id_number, number, tuple(sessions), getattr(ep, "exam_notice", "") or "", s.photo)


async def of_account(reference, account_id: int) -> list[dict]:
    """准考证打印's page: each active application of the account, whether its ticket prints, and its seats."""
    rows = []
    for app in await Application.filter(account_id=account_id, active_key__isnull=False).order_by("-id"):
        ep = await reference.province(app.province_id) if app.province_id else None
        exam = await reference.exam(app.exam_id)
        reason = refusal(app, ep)
        found = await sessions_of(app.id) if app.status == Status.PAID else None
        if reason is None and found is None:
            reason = UNSEATED
        rows.append({"app": app, "exam": exam.name, "province": PROVINCES.get(ep.province_code, "") if ep else "",
                     "status_label": Status.LABELS[app.status], "window": window(ep), "reason": reason,
                     "number": found[0] if found else "", "sessions": found[1] if found else []})
    return rows


def verify_url(settings, code: str) -> str:
    return f"{settings.base_url}/tickets/verify/{code}"


async def ticket_pdf(app: Application, ticket: Ticket, settings, *, now: datetime | None = None) -> bytes:
    """The ticket as PDF, built off the event loop."""
    now = now or clock.now()
    code = await form_pdf.ensure_form_code(app)
    upload_dir = settings.upload_dir

    def build() -> bytes:
        return admission_pdf.build_ticket(ticket, verify_url=verify_url(settings, code), generated_at=now,
                                          photo_bytes=form_pdf._read(upload_dir, ticket.photo))

    return await anyio.to_thread.run_sync(build)


@dataclass(frozen=True)
class Verified:
    """What the public page shows of the ticket with this code."""

    name: str  # masked
    id_number: str  # masked
    exam: str
    province: str
    number: str  # 准考证号
    sessions: list[SessionSeat]


async def verify(reads: Reads, code: str) -> Verified | None:
    """The ticket of this verification code, or None: no such code, or its application is not paid and seated
    (a ticket it printed once no longer holds once withdrawn)."""
    app = await reads.first(Application, form_code=code) if form_pdf.is_code(code) else None
    if app is None or app.status != Status.PAID or not app.snapshot:
        return None
    found = await sessions_of(app.id)
    if found is None:
        return None
    s = app.submission
    return Verified(mask_name(s.candidate.name), mask_id_number(s.candidate.id_number), s.exam.name, s.province.name,
                    found[0], found[1])
