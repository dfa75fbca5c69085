"""报名表打印 (the candidate's form as PDF) and the public /verify page that the form's QR code opens."""
from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.applications import Application, Status
from services.documents import form_pdf
from services.accounts.names import mask_id_number, mask_name
from web.render import render
from web.sessions import login_required


async def form(request: Request):
    """Owner only (anyone else's id is 404), and only from submission on: before that there is no form."""
    account = login_required(request)
    app = await Application.get_or_none(id=request.path_params["app_id"], account_id=account.id)
    if app is None:
        raise HTTPException(404)
    if app.status not in form_pdf.PRINTABLE or not app.snapshot:
        return render(request, "printing/not_printable.html", {"app": app, "status_label": Status.LABELS[app.status]},
                      status=409)
    data = await form_pdf.form_pdf(app, request.app.state.settings)
    name = quote(f"报名表-{app.id}.pdf")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"form-{app.id}.pdf\"; filename*=UTF-8''{name}",
        "Cache-Control": "private, no-store"})


async def verify(request: Request):
    """Anyone holding the paper form may check it: only masked personal data is shown."""
    code = request.path_params["code"]
    app = await Application.get_or_none(form_code=code) if form_pdf.is_code(code) else None
    if app is None or not app.snapshot:
        return render(request, "printing/verify.html", {"found": False}, status=404)
    s = app.submission
    return render(request, "printing/verify.html", {
        "found": True, "name": mask_name(s.candidate.name), "id_number": mask_id_number(s.candidate.id_number),
        "exam": s.exam.name, "province": s.province.name, "status_label": Status.LABELS[app.status],
        "code": code})


routes = [
    Route("/apply/{app_id:int}/form.pdf", form, name="form_pdf"),
    Route("/verify/{code}", verify, name="verify"),
]
