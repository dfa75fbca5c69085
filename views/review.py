"""审核: the reviewers' board at /review (login, queue, detail, 通过/不通过, 实名认证, 照片复核, 导出, 统计, 考场编排).

Every handler but the login page goes through `reviewer_scope`: a candidate session gets 403, and anything
outside the reviewer's scope is 404 (and logged), whether listed, opened, decided or exported.
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from models.accounts import Reviewer
from models.applications import Status
from models.profiles import RealnameRequest
from services.accounts import captcha
from services.accounts import login as ops
from services.clock import now
from services.documents import access, bundle, pdfpages
from services.review import decisions, export, queue, realname_queue, search
from services import arrangement as arranging
from services.review import arrangement as arrangement_page
from services.review import detail as details
from services.review import stats as statistics
from services.review.scope import Scope, in_scope, scope_of
from services.scores import office as score_office
from web.forms import Form, client_ip, column, posted, safe_next, split_ids
from web.render import is_fragment_request, redirect, render
from web.sessions import current_session, log_in, log_out, reviewer_required

log = logging.getLogger("kjks")

ACTIONS = ("approve", "reject")  # 通过, 不通过: nothing else decides anything
UNKNOWN_ACTION = "请选择“通过”或“不通过”后重新提交"


async def reviewer_scope(request: Request) -> Scope:
    return await scope_of(request.app.state.reference, reviewer_required(request))


def out_of_scope(request: Request, what: str) -> HTTPException:
    log.warning("review scope refused %s %s rid=%s", what, request.url.path, request.state.request_id)
    return HTTPException(404)


async def application_in_scope(request: Request, scope: Scope):
    app = await in_scope(scope, request.path_params["app_id"])
    if app is None:
        raise out_of_scope(request, f"reviewer={scope.reviewer.username}")
    return app


# ------------------------------------------------------------------ 登录 / 退出


async def board(request: Request):
    """GET /review: the queue for a reviewer, the login form for anyone else."""
    session = current_session(request)
    if session is None or not session.reviewer_id:
        return render(request, "review/login.html", {"values": {}, "errors": {}})
    scope = await scope_of(request.app.state.reference, session.reviewer)
    q, extra = Form(request.query_params), {}
    if "done" in q.data:  # back from a plain-form 批量通过 (303): say what happened, as the htmx answer does
        ids, others = _ids([i for i in q.get("skipped").split(",") if i])
        skipped = {**await decisions.skip_reasons(scope, ids), **others}
        extra = _bulk_outcome(q.number("done", 0, 100_000) or 0, skipped)
    return render(request, "review/board.html", await _board_ctx(request, scope, q, **extra),
                  fragment="review_queue.html")


def _ids(values: list[str]) -> tuple[list[str], dict[str, str]]:
    """The ids among the values the board posted or carried (for decisions), and the others: they name no
    application, so they are skipped as such without a query."""
    ids, others = split_ids(values)
    return [str(i) for i in ids], dict.fromkeys(others, decisions.NOT_IN_SCOPE)


async def login(request: Request):
    form = await posted(request, keys={"username": column(Reviewer, "username")})
    if form.get("new_captcha"):  # 看不清 without JavaScript: the form again with a new image (the password typed again)
        return render(request, "review/login.html", {"values": {"username": form.get("username")}, "errors": {}})
    username, password = ops.credentials(form, "username", "请输入用户名")
    check_captcha = captcha.checker(request.state.sid_hash, form.get("captcha"),
                                    secret=request.app.state.settings.secret_key, now=now())
    # A name longer than the column is looked up as no name: the answer of an unknown reviewer.
    reviewer = await ops.sign_in(Reviewer, lambda: ops.find_reviewer(form.key("username") or ""), password,
                                 ip=client_ip(request), now=now(), errors=form.errors, captcha=check_captcha)
    if reviewer is not None:
        await log_in(request, reviewer=reviewer)
        return redirect(request, "/review")
    return render(request, "review/login.html", {"values": {"username": username}, "errors": form.errors},
                  status=422)


async def logout(request: Request):
    await log_out(request)
    return redirect(request, "/review")


# ------------------------------------------------------------------ queue


def _query(f: queue.Filters, **changes) -> str:
    return urlencode(f.params(**changes))


async def _board_ctx(request: Request, scope: Scope, params: Form, **extra) -> dict:
    """The board under the filters of `params` (a query string) and the search kept in this session."""
    f = queue.Filters.parse(params, search.of(current_session(request)))
    data = await queue.queue(request.app.state.reads, scope, f)
    total = data["counts"][f.status]
    pages = max(1, -(-total // queue.PAGE_SIZE))
    return {"f": f, "cities": scope.cities, "sites": queue.sites_of(scope, f.city), "levels": queue.LEVELS,
            "statuses": queue.STATUS_FILTER, "labels": Status.LABELS, "pages": pages, "query": _query(f),
            "page_query": lambda **kw: _query(f, **kw), "reviewer": scope.reviewer, **data, **extra}


def _bulk_outcome(done, skipped: dict) -> dict:
    return {"message": f"已通过 {done} 条" + (f"；未处理 {len(skipped)} 条" if skipped else ""), "skipped": skipped}


def _current_params(request: Request) -> Form:
    """The filters of the page the htmx request came from, for the counts sent along with a decision."""
    try:
        url = urlsplit(request.headers.get("hx-current-url", ""))
    except ValueError:  # not a URL (an unbalanced "[": urlsplit refuses it): no filters
        return Form(QueryParams(""))
    return Form(QueryParams(url.query if url.path.rstrip("/") == "/review" else ""))


async def bulk(request: Request):
    scope = await reviewer_scope(request)
    form = await posted(request)
    # The filters in view: htmx says which page the request came from (the list may have been filtered by
    # htmx since the page loaded); a plain form carries them in `back`.
    back = _current_params(request) if is_fragment_request(request) else Form(QueryParams(form.get("back")))
    ids, others = _ids(form.texts("ids"))
    done, skipped = await decisions.bulk_approve(scope, ids, now())
    skipped.update(others)
    if not is_fragment_request(request):  # no JavaScript: 303 to the list, so a reload posts nothing again
        query = urlencode({**dict(back.data), "done": len(done), "skipped": ",".join(str(i) for i in skipped)})
        return redirect(request, f"/review?{query}")
    ctx = await _board_ctx(request, scope, back, **_bulk_outcome(len(done), skipped))
    return render(request, "review/board.html", ctx, fragment="review_queue.html", status=200)


async def search_board(request: Request):
    """POST /review/search: the 姓名/证件号后4位 search (or 清除) into this session, never into a URL, with the
    form's other filters; then the board at /review?<the other filters>: a 303 for a plain form, for htmx the
    queue with HX-Push-Url (the address bar shows the same URL, and a reload or Back shows the same list)."""
    scope = await reviewer_scope(request)
    form = await posted(request)
    cleared = bool(form.get("clear"))
    await search.remember(current_session(request), "" if cleared else form.get("q"))
    url = f"/review?{_query(queue.Filters.parse(form))}"  # a new search starts at its first page
    if not is_fragment_request(request):
        return redirect(request, url)
    ctx = await _board_ctx(request, scope, form, search_oob=True, search_cleared=cleared)
    response = render(request, "review/board.html", ctx, fragment="review_queue.html")
    response.headers["HX-Push-Url"] = url
    return response


async def export_csv(request: Request):
    """导出: the rows of the board as the reviewer sees it (the filters of the link, the session's search)."""
    scope = await reviewer_scope(request)
    f = queue.Filters.parse(Form(request.query_params), search.of(current_session(request)))
    data = await export.export_csv(request.app.state.reads, scope, f)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=\"review-export.csv\"", "Cache-Control": "no-store"})


# ------------------------------------------------------------------ detail and decisions


async def _detail_ctx(request: Request, scope: Scope, app, **extra) -> dict:
    state = request.app.state
    return {**await details.detail(state.reads, state.reference, scope, app), "labels": Status.LABELS,
            "errors": {}, "values": {}, **extra}


async def detail(request: Request):
    scope = await reviewer_scope(request)
    app = await application_in_scope(request, scope)
    return render(request, "review/detail.html", await _detail_ctx(request, scope, app), fragment="review_detail.html")


async def decide(request: Request):
    scope = await reviewer_scope(request)
    app = await application_in_scope(request, scope)
    form = await posted(request)
    action = form.choice("action", ACTIONS, UNKNOWN_ACTION)
    reason, error = "", None
    if action == "reject":
        reason, error = decisions.reject_reason(form, await details.reject_templates(request.app.state.reference, app))
    error = _refused(form) or error  # an unknown action, or a value refused as it came in: nothing is decided
    status = 422 if error else 200
    if not error:
        error = await decisions.decide(scope, app.id, action == "approve", reason, now())
        status = 409 if error else 200
    back = safe_next(form.get("back"))
    if status == 200 and back.startswith("/review/") and not is_fragment_request(request):
        return redirect(request, back)
    field = "form" if "action" in form.errors else None
    return await _decision_response(request, scope, app, error, status, form, field)


def _refused(form: Form) -> str | None:
    """Why a decision's form is refused as it came in: an action other than 通过 / 不通过 first, else the first
    value refused (web.forms), else None."""
    return form.errors.get("action") or next(iter(form.errors.values()), None)


async def _decision_response(request, scope, app, error: str | None, status: int, form: Form,
                             field: str | None = None):
    """htmx from a row: the row (+ counts out of band); from the detail panel: the panel (+ row and counts
    out of band); a plain form: back to the detail page, or that page with the message."""
    app_id, reads = app.id, request.app.state.reads
    app = await in_scope(scope, app_id) or app  # reloaded: the status as it is now
    target = request.headers.get("hx-target", "") if is_fragment_request(request) else ""
    counts_ctx = await _board_ctx(request, scope, _current_params(request)) if target else {}
    if target.startswith("row-"):
        return render(request, "review_row_response.html", {**counts_ctx, "r": await queue.one_row(reads, scope, app_id),
                                                             "row_error": error, "oob": True},
                      status=status)
    if not target and not error:
        return redirect(request, f"/review/applications/{app_id}")
    errors = {(field or ("reason" if status == 422 else "form")): error} if error else {}
    values = {"reason": form.get("reason"), "reason_choice": form.get("reason_choice")}
    ctx = await _detail_ctx(request, scope, app, errors=errors, values=values, oob=bool(target), **counts_ctx)
    return render(request, "review/detail.html", ctx, fragment="review_detail_response.html", status=status)


# ------------------------------------------------------------------ the submission's files


async def _own_file(request: Request) -> str:
    """The stored name in the URL, when it is the photo or a material of this application in scope
    (services.documents.access decides, as it does for /files)."""
    reviewer_required(request)
    name = request.path_params["name"]
    if not await access.may_see(request.app.state.reference, current_session(request), name,
                                application_id=request.path_params["app_id"]):
        raise out_of_scope(request, f"file={name}")
    return name


async def material_file(request: Request):
    """The photo or a material of an application in scope: images inline, PDFs as a download (they are
    read as page images on the board, see material_page)."""
    stored = access.stored_file(request.app.state.settings.upload_dir, await _own_file(request))
    if stored is None:
        raise HTTPException(404)
    return FileResponse(stored.path, media_type=stored.media_type, headers=stored.headers)


async def material_page(request: Request):
    """One page of a PDF material as an image drawn by the server (services/documents/pdfpages.py)."""
    name = await _own_file(request)
    png = await pdfpages.page_of_upload(request.app.state.settings.upload_dir, name, request.path_params["page"])
    if png is None:
        raise HTTPException(404)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


async def bundle_pdf(request: Request):
    scope = await reviewer_scope(request)
    app = await application_in_scope(request, scope)
    pdf = await bundle.material_bundle(app, request.app.state.settings)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"bundle-{app.id}.pdf\"", "Cache-Control": "private, no-store"})


# ------------------------------------------------------------------ 照片复核


async def photos(request: Request):
    scope = await reviewer_scope(request)
    return render(request, "review/photos.html", {"rows": await queue.flagged_photos(scope),
                                                  "reason": decisions.PHOTO_REASON})


async def photo_ok(request: Request):
    scope = await reviewer_scope(request)
    app = await application_in_scope(request, scope)
    await decisions.clear_photo_flag(scope, app, now())  # already cleared (another reviewer): the list says so
    return redirect(request, "/review/photos")


# ------------------------------------------------------------------ 线上实名认证


async def realname_page(request: Request, scope: Scope, errors: dict | None = None, status: int = 200):
    rows = await realname_queue.pending(scope)
    return render(request, "review/realname.html", {"rows": rows, "errors": errors or {}}, status=status)


async def realname_list(request: Request):
    return await realname_page(request, await reviewer_scope(request))


async def realname_decide(request: Request):
    scope = await reviewer_scope(request)
    row = await realname_queue.in_scope(scope, request.path_params["req_id"])
    if row is None:
        raise out_of_scope(request, f"realname reviewer={scope.reviewer.username}")
    form = await posted(request, limits={"reason": column(RealnameRequest, "reason")})
    action, reason = form.choice("action", ACTIONS, UNKNOWN_ACTION), form.get("reason")
    if refused := _refused(form):  # an unknown action, a reason longer than its column: nothing is decided
        return await realname_page(request, scope, {row.id: refused}, status=422)
    error = await realname_queue.decide(scope, row, action == "approve", reason, now())
    if error:
        return await realname_page(request, scope, {row.id: error}, status=422 if "原因" in error else 409)
    return redirect(request, "/review/realname")


# ------------------------------------------------------------------ 统计


async def stats(request: Request):
    """统计 of one exam of the reviewer's province (a select; the newest exam by default)."""
    scope = await reviewer_scope(request)
    exams = await statistics.exams_of(scope)
    exam_id = Form(request.query_params).id("exam")
    chosen = next((e for e in exams if e["id"] == exam_id), exams[0] if exams else None)
    data = await statistics.stats(scope, chosen) if chosen else {}
    if chosen:  # 合格率 of the imported scores (services.scores.office)
        exam = await request.app.state.reference.exam((await request.app.state.reference.province(chosen["id"])).exam_id)
        data["pass_rates"] = await score_office.pass_rates(scope, chosen["id"], exam.subjects)
        data["scores_base"] = f"/review/scores/{exam.code}/{scope.reviewer.province_code}"
    return render(request, "review/stats.html", {"exams": exams, "exam": chosen, **data})


# ------------------------------------------------------------------ 考场编排


async def arrangement_pick(request: Request):
    """GET /review/arrangement: the page of one exam of the province (?exam=ExamProvince id; newest by default)."""
    scope = await reviewer_scope(request)
    exams = await arrangement_page.exams_of(scope)
    exam_id = Form(request.query_params).id("exam")
    chosen = next((e for e in exams if e["id"] == exam_id), exams[0] if exams else None)
    if chosen is None:
        return render(request, "review/arrangement.html", {"exams": [], "ep": None})
    return redirect(request, f"/review/arrangement/{chosen['exam__code']}/{chosen['province_code']}")


async def _arrangement_response(request: Request, scope: Scope, ep, status: int = 200, **extra):
    ctx = {"exams": await arrangement_page.exams_of(scope), **await arrangement_page.page(scope, ep, now()),
           "errors": {}, **extra}
    return render(request, "review/arrangement.html", ctx, fragment="review_arrangement.html", status=status)


async def _arrangement_province(request: Request, scope: Scope):
    p = request.path_params
    ep = await arrangement_page.province_in_scope(scope, p["exam_code"], p["province"])
    if ep is None:
        raise out_of_scope(request, f"reviewer={scope.reviewer.username}")
    return ep


async def arrangement_view(request: Request):
    scope = await reviewer_scope(request)
    ep = await _arrangement_province(request, scope)
    q = Form(request.query_params)
    done = None
    if q.get("done") == "none":  # back from a plain-form 编排 (303) that found nothing to do
        done = arranging.NOTHING_TO_DO
    elif q.get("done"):  # back from a plain-form 编排 (303): what that run did
        run = await arranging.run_of(ep.id, q.id("done"))
        done = run and arranging.run_message(run)
    return await _arrangement_response(request, scope, ep, done=done)


async def arrange(request: Request):
    """POST 编排: a province reviewer only; before 缴费 closes only with the confirmation box ticked."""
    scope = await reviewer_scope(request)
    ep = await _arrangement_province(request, scope)
    if not arrangement_page.may_arrange(scope):
        raise HTTPException(403, arrangement_page.CITY_REFUSED)
    form = await posted(request)
    out = await arranging.arrange(ep, scope.reviewer.username, now(), force=form.get("confirm_early") == "1")
    if not out.ok:
        field = "confirm_early" if out.reason == "pay_open" else "form"
        return await _arrangement_response(request, scope, ep, status=409, errors={field: out.message})
    if is_fragment_request(request):
        return await _arrangement_response(request, scope, ep, done=out.message)
    done = out.arrangement.id if out.arrangement is not None else "none"
    return redirect(request, f"/review/arrangement/{request.path_params['exam_code']}/{ep.province_code}?done={done}")


routes = [
    Route("/review", board, name="review"),
    Route("/review/login", login, methods=["POST"], name="review_login"),
    Route("/review/logout", logout, methods=["POST"], name="review_logout"),
    Route("/review/bulk", bulk, methods=["POST"], name="review_bulk"),
    Route("/review/search", search_board, methods=["POST"], name="review_search"),
    Route("/review/export.csv", export_csv, name="review_export"),
    Route("/review/applications/{app_id:id}", detail, name="review_detail"),
    Route("/review/applications/{app_id:id}/decide", decide, methods=["POST"], name="review_decide"),
    Route("/review/applications/{app_id:id}/photo-ok", photo_ok, methods=["POST"], name="review_photo_ok"),
    Route("/review/applications/{app_id:id}/files/{name:stored}", material_file, name="review_file"),
    Route("/review/applications/{app_id:id}/pages/{page:page}/{name:stored}", material_page, name="review_pdf_page"),
    Route("/review/applications/{app_id:id}/bundle.pdf", bundle_pdf, name="review_bundle"),
    Route("/review/photos", photos, name="review_photos"),
    Route("/review/realname", realname_list, name="review_realname"),
    Route("/review/realname/{req_id:id}/decide", realname_decide, methods=["POST"], name="review_realname_decide"),
    Route("/review/stats", stats, name="review_stats"),
    Route("/review/arrangement", arrangement_pick, name="review_arrangement"),
    Route("/review/arrangement/{exam_code:exam_code}/{province:province}", arrangement_view,
          name="review_arrangement_exam"),
    Route("/review/arrangement/{exam_code:exam_code}/{province:province}/arrange", arrange, methods=["POST"],
          name="review_arrange"),
]
