"""报名表打印 (the candidate's form as PDF) and the public /verify page that the form's QR code opens."""
from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.applications import Status
from services.documents import form_pdf, printing
from web.render import render
from web.sessions import login_required


async def form(request: Request):
    """Owner only (anyone else's id is 404), and only from submission on: before that there is no form."""
    account = login_required(request)
    app = await printing.own(request.app.state.reads, account.id, request.path_params["app_id"])
    if app is None:
        raise HTTPException(404)
    if not printing.printable(app):
        return render(request, "printing/not_printable.html", {"app": app, "status_label": Status.LABELS[app.status]},
                      status=409)
    data = await form_pdf.form_pdf(app, request.app.state.settings)
    name = quote(f"报名表-{app.id}.pdf")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"form-{app.id}.pdf\"; filename*=UTF-8''{name}",
        "Cache-Control": "private, no-store"})


async def verify(request: Request):
    """Anyone holding the paper form may check it: only masked personal data is shown."""
    found = await printing.verify(request.app.state.reads, request.path_params["code"])
    if found is None:
        return await not_verified(request)
    return render(request, "printing/verify.html", {"found": True, **asdict(found)})


async def not_verified(request: Request):
    """Any other /verify/… (not a code the server could have drawn): the page's answer for an unknown code,
    404; what the URL holds is not read."""
    return render(request, "printing/verify.html", {"found": False}, status=404)


routes = [
    Route("/apply/{app_id:id}/form.pdf", form, name="form_pdf"),
    Route("/verify/{code:verify_code}", verify, name="verify"),
    Route("/verify/{anything:path}", not_verified, name="verify_unknown"),
]
