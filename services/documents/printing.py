"""报名表打印: which application prints a form (the PDF is services.documents.form_pdf), and what the public
/verify page, opened from the form's QR code, says about one (masked personal data only)."""
from __future__ import annotations

from dataclasses import dataclass

from db.reads import Reads
from models.applications import Application, Status
from services.accounts.names import mask_id_number, mask_name
from services.documents.form_pdf import is_code

# From submission on (the form prints the submission snapshot); never once withdrawn.
PRINTABLE = (Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.PAID)


async def own(reads: Reads, account_id: int, app_id: int) -> Application | None:
    """The application `app_id` when it is this account's, else None."""
    return await reads.first(Application, id=app_id, account_id=account_id)


def printable(app: Application) -> bool:
    return app.status in PRINTABLE and bool(app.snapshot)


@dataclass(frozen=True)
class Verified:
    """What /verify shows of the form with this code."""

    name: str  # masked
    id_number: str  # masked
    exam: str
    province: str
    status_label: str
    code: str


async def verify(reads: Reads, code: str) -> Verified | None:
    """The form with this verification code, or None (no such code, or not one the server could draw)."""
    app = await reads.first(Application, form_code=code) if is_code(code) else None
    if app is None or not app.snapshot:
        return None
    s = app.submission
    return Verified(mask_name(s.candidate.name), mask_id_number(s.candidate.id_number), s.exam.name, s.province.name,
                    Status.LABELS[app.status], code)
