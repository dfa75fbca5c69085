"""成绩查询 for the candidate (issue 16): /scores lists the candidate's paid applications, /scores/{id} shows
one application's scores and the level's result once the province has published them (services.scores.results).
Before the publication time the page says when and shows no score; anyone else's application is 404."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from services.clock import now
from services.documents import printing
from services.scores import results
from web.render import render
from web.sessions import login_required


async def index(request: Request):
    account = login_required(request)
    return render(request, "scores/index.html", {"rows": await results.applications_of(account.id)})


async def sheet(request: Request):
    account = login_required(request)
    app = await printing.own(request.app.state.reads, account.id, request.path_params["app_id"])
    if app is None or app.status != "paid":
        raise HTTPException(404)
    response = render(request, "scores/sheet.html", {"s": await results.sheet(app, now())})
    response.headers["Cache-Control"] = "private, no-store"
    return response


routes = [
    Route("/scores", index, name="scores"),
    Route("/scores/{app_id:id}", sheet, name="score_sheet"),
]
