"""成绩 on the reviewers' board (issue 16): /review/scores/{exam}/{province}: the publication time, the upload of
a score file, its preview (every refused row, every change) and the confirmation. A province-level reviewer
imports and publishes; a city reviewer sees the page but may not (403). The uploaded file is kept in its
ScoreImport row between the preview and the confirmation, named by a random token: nothing of it comes back
from the browser."""
from __future__ import annotations

import logging
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.scores import Score, ScoreImport
from services import scores
from services.clock import CN, now
from services.review import arrangement as arrangement_page
from services.scores import PASS_TENTHS
from services.scores import office as score_office
from tortoise.functions import Count
from services.review.scope import scope_of
from web.forms import Form, posted
from web.render import redirect, render
from web.sessions import reviewer_required

log = logging.getLogger("kjks")

CITY_REFUSED = "成绩导入与发布由省级审核人员进行，市级审核人员只能查看。"


async def reviewer_scope(request: Request):
    return await scope_of(request.app.state.reference, reviewer_required(request))


def out_of_scope(request: Request, what: str) -> HTTPException:
    log.warning("review scope refused %s %s rid=%s", what, request.url.path, request.state.request_id)
    return HTTPException(404)


async def _province(request: Request, scope):
    p = request.path_params
    ep = await arrangement_page.province_in_scope(scope, p["exam_code"], p["province"])
    if ep is None:
        raise out_of_scope(request, f"reviewer={scope.reviewer.username}")
    return ep


def _may_import(scope) -> None:
    if scope.reviewer.city:
        raise HTTPException(403, CITY_REFUSED)


async def _page(request: Request, scope, ep, status: int = 200, **extra):
    exam = await ep.exam
    counts = await Score.filter(exam_province_id=ep.id).annotate(n=Count("id")).group_by("subject").values_list(
        "subject", "n")
    passed = dict(await Score.filter(exam_province_id=ep.id, tenths__gte=PASS_TENTHS).annotate(n=Count("id"))
                  .group_by("subject").values_list("subject", "n"))
    by_subject = [{"subject": s, "n": n, "passed": passed.get(s, 0), "rate": f"{passed.get(s, 0) * 100 / n:.1f}%"}
                  for s, n in sorted(counts, key=lambda x: exam.subjects.index(x[0]) if x[0] in exam.subjects else 99)]
    imports = await ScoreImport.filter(exam_id=exam.id, status="confirmed").order_by("-id").limit(20)
    ctx = {"exams": await arrangement_page.exams_of(scope), "ep": ep, "exam": exam,
           "release": await scores.publication(ep.id), "now": now(), "by_subject": by_subject, "imports": imports,
           "may_import": not scope.reviewer.city, "city_refused": CITY_REFUSED, "errors": {}, "values": {},
           "base": f"/review/scores/{exam.code}/{ep.province_code}", **extra}
    return render(request, "review/scores.html", ctx, status=status)


async def pick(request: Request):
    scope = await reviewer_scope(request)
    exams = await arrangement_page.exams_of(scope)
    exam_id = Form(request.query_params).id("exam")
    chosen = next((e for e in exams if e["id"] == exam_id), exams[0] if exams else None)
    if chosen is None:
        return render(request, "review/scores.html", {"exams": [], "ep": None})
    return redirect(request, f"/review/scores/{chosen['exam__code']}/{chosen['province_code']}")


async def view(request: Request):
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    q = Form(request.query_params)
    messages = {"imported": "成绩已导入。", "published": "成绩发布时间已保存。"}
    return await _page(request, scope, ep, done=messages.get(q.get("done")))


async def upload(request: Request):
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    _may_import(scope)
    form = await posted(request)
    try:
        file = form.data.get("file")
        data = await file.read() if hasattr(file, "read") else b""
        name = getattr(file, "filename", "") or ""
    finally:
        await form.close()
    try:
        batch, _ = await scores.prepare(await ep.exam, ep.province_code, data, name, scope.reviewer.username, now())
    except scores.FileRefused as e:
        return await _page(request, scope, ep, status=422, errors={"file": f"文件无法导入：{e}"})
    exam = await ep.exam
    return redirect(request, f"/review/scores/{exam.code}/{ep.province_code}/imports/{batch.token}")


async def _batch(request: Request, scope, ep) -> ScoreImport:
    batch = await scores.batch_of(await ep.exam, request.path_params["token"], ep.province_code)
    if batch is None or scope.reviewer.city:
        raise out_of_scope(request, f"score import reviewer={scope.reviewer.username}")
    return batch


async def _preview_page(request, scope, ep, batch, status=200, error=None):
    exam = await ep.exam
    p = await scores.evaluate(exam, ep.province_code, batch.content) if batch.status == "preview" else None
    return render(request, "review/score_preview.html", {
        "ep": ep, "exam": exam, "batch": batch, "p": p, "error": error,
        "base": f"/review/scores/{exam.code}/{ep.province_code}"}, status=status)


async def preview(request: Request):
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    return await _preview_page(request, scope, ep, await _batch(request, scope, ep))


async def confirm(request: Request):
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    _may_import(scope)
    batch = await _batch(request, scope, ep)
    await posted(request)
    out = await scores.confirm(batch, now())
    if not out.ok:
        return await _preview_page(request, scope, ep, await ScoreImport.get(id=batch.id), status=409,
                                   error=out.message)
    exam = await ep.exam
    return redirect(request, f"/review/scores/{exam.code}/{ep.province_code}?done=imported")


def parse_local(value: str) -> datetime | None:
    """A datetime-local field (China time), or None."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=CN)
        except ValueError:
            continue
    return None


async def publish(request: Request):
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    _may_import(scope)
    form = await posted(request)
    at = parse_local(form.get("published_at"))
    if at is None:
        return await _page(request, scope, ep, status=422, values={"published_at": form.get("published_at")},
                           errors={"published_at": "请填写发布时间，例如 2027-06-20 10:00"})
    await scores.set_publication(ep, at, scope.reviewer.username, now())
    exam = await ep.exam
    return redirect(request, f"/review/scores/{exam.code}/{ep.province_code}?done=published")


async def results_csv(request: Request):
    """导出成绩: every candidate's scores in the reviewer's scope (a city reviewer: its city), as CSV."""
    scope = await reviewer_scope(request)
    ep = await _province(request, scope)
    exam = await ep.exam
    data = await score_office.results_csv(scope, ep.id, exam.subjects)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"scores-{exam.code}-{ep.province_code}.csv\"",
        "Cache-Control": "no-store"})


BASE = "/review/scores/{exam_code:exam_code}/{province:province}"
routes = [
    Route("/review/scores", pick, name="review_scores"),
    Route(BASE, view, name="review_scores_exam"),
    Route(BASE + "/upload", upload, methods=["POST"], name="review_scores_upload"),
    Route(BASE + "/imports/{token:import_token}", preview, name="review_scores_preview"),
    Route(BASE + "/imports/{token:import_token}/confirm", confirm, methods=["POST"], name="review_scores_confirm"),
    Route(BASE + "/publish", publish, methods=["POST"], name="review_scores_publish"),
    Route(BASE + "/results.csv", results_csv, name="review_scores_results"),
]
