"""The reviewers' board: scope, the queue query, decisions, CSV export and statistics.

A reviewer works inside a scope: a province (Reviewer.province_code), or one city of it (Reviewer.city, a
city code). Every query here starts from `Scope`, so nothing outside it is listed, shown or changed.

The queue page is three queries: the scope's ExamProvince ids, one page of rows (joined, no per-row
queries) and the counts per status in one GROUP BY; they use the indexes (province_id, status,
submitted_at), (province_id, city_code, status) and (province_id, id_last4).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from services.clock import CN
from models.accounts import Reviewer
from models.applications import Application, Material, Status
from models.exams import ExamProvince, Site
from models.profiles import RealnameRequest
from models.snapshot import Snapshot
from services.registration import eligibility
from db.reads import Reads
from services.reference.exams import ReferenceData
from services.accounts import names
from models.reviews import ReviewLog

PAGE_SIZE = 20
# 审核状态 filter values: 审核通过 includes 报名成功 (paid is approved, then paid).
STATUS_FILTER = {Status.SUBMITTED: (Status.SUBMITTED,), Status.APPROVED: (Status.APPROVED, Status.PAID),
                 Status.REJECTED: (Status.REJECTED,), Status.WITHDRAWN: (Status.WITHDRAWN,), Status.PAID: (Status.PAID,)}
REVIEWED = (Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.PAID)
PHOTO_REASON = "照片不符合要求"


@dataclass
class Scope:
    reviewer: Reviewer
    province_ids: list[int]  # ExamProvince rows of the reviewer's province
    levels: dict[int, str] = field(default_factory=dict)  # ExamProvince id → 级别
    cities: dict[str, str] = field(default_factory=dict)  # code → name, inside the scope
    sites: list[dict] = field(default_factory=list)  # {id, name, city}, inside the scope

    def q(self) -> Q:
        """Applications inside the scope (never drafts: reviewers see submissions only)."""
        q = Q(province_id__in=self.province_ids or [0], status__in=REVIEWED)
        return q & Q(city_code=self.reviewer.city) if self.reviewer.city else q


async def scope_of(reference: ReferenceData, reviewer: Reviewer) -> Scope:
    """The scope with its exams' levels, cities and sites. Every board request needs them and only the CLI
    changes them: kept with the exam reference data, shared read-only."""
    ids, levels, cities, sites = await reference.remember(
        ("review_scope", reviewer.province_code, reviewer.city), lambda: _load_scope(reviewer))
    return Scope(reviewer, ids, levels, cities, sites)


async def _load_scope(reviewer: Reviewer) -> tuple:
    rows = await ExamProvince.filter(province_code=reviewer.province_code).values(
        "id", "exam__level", "cities__code", "cities__name", "cities__sites__id", "cities__sites__name")
    levels, cities, sites = {}, {}, {}
    for r in rows:
        levels[r["id"]] = r["exam__level"]
        code = r["cities__code"]
        if code is None or (reviewer.city and code != reviewer.city):
            continue
        cities.setdefault(code, r["cities__name"])
        if r["cities__sites__id"] is not None:
            sites[r["cities__sites__id"]] = {"id": r["cities__sites__id"], "name": r["cities__sites__name"], "city": code}
    return list(levels), levels, cities, sorted(sites.values(), key=lambda x: (x["city"], x["id"]))


async def in_scope(scope: Scope, app_id) -> Application | None:
    try:
        app_id = int(app_id)
    except (TypeError, ValueError):
        return None
    return await Application.filter(scope.q(), id=app_id).select_related("exam").first()


# ------------------------------------------------------------------ the queue


@dataclass
class Filters:
    status: str = Status.SUBMITTED
    city: str = ""
    site: str = ""
    level: str = ""
    day: str = ""  # submission date, China time, YYYY-MM-DD
    q: str = ""  # a name, or the last 4 characters of the ID number
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params) -> "Filters":
        f = cls(**{k: (params.get(k) or "").strip()[:64] for k in ("city", "site", "level", "day", "q")})
        f.status = params.get("status") or Status.SUBMITTED
        if f.status not in STATUS_FILTER:
            f.status = Status.SUBMITTED
        try:
            f.page = max(1, min(int(params.get("page") or 1), 100000))
        except ValueError:
            f.page = 1
        if f.day:
            try:
                date.fromisoformat(f.day)
            except ValueError:
                f.errors["day"] = "日期格式应为 年-月-日"
                f.day = ""
        return f

    def params(self, **changes) -> dict:
        values = {"status": self.status, "city": self.city, "site": self.site, "level": self.level, "day": self.day,
                  "q": self.q, "page": self.page, **changes}
        return {k: v for k, v in values.items() if v not in ("", None, 1) or k == "status"}


def _filter_q(scope: Scope, f: Filters, province_ids: list[int], reviewed_only: bool = True) -> Q:
    q = Q(province_id__in=province_ids or [0])
    if reviewed_only:
        q &= Q(status__in=REVIEWED)
    if scope.reviewer.city:
        q &= Q(city_code=scope.reviewer.city)
    if f.city:
        q &= Q(city_code=f.city)
    if f.site.isdigit():
        q &= Q(site_id=int(f.site))
    if f.day:
        # In UTC, as stored: SQLite compares the text.
        start = datetime.combine(date.fromisoformat(f.day), time(), CN).astimezone(timezone.utc)
        q &= Q(submitted_at__gte=start, submitted_at__lt=start + timedelta(days=1))
    term = f.q.strip()
    if len(term) == 4 and term[:3].isdigit():
        q &= Q(id_last4=term.upper())
    elif term:
        q &= Q(cand_name__startswith=term)
    return q


def _province_ids(scope: Scope, level: str) -> list[int]:
    return [i for i in scope.province_ids if scope.levels[i] == level] if level else scope.province_ids


ROW_FIELDS = ("id", "cand_name", "id_last4", "city_code", "status", "resubmitted", "submitted_at", "photo_flag",
              "reviewed_by", "review_reason", "site__name", "exam__level", "account__id_number", "account__phone")


def _row(r: dict, cities: dict[str, str]) -> dict:
    r = dict(r)
    r["masked_id"] = names.mask_id_number(r.pop("account__id_number") or "")
    r["masked_phone"] = names.mask_phone(r.pop("account__phone") or "")
    r["city_name"] = cities.get(r["city_code"], r["city_code"] or "")
    r["site_name"], r["level"] = r.pop("site__name"), r.pop("exam__level")
    r["status_label"] = Status.LABELS[r["status"]]
    r["pay_label"] = "已缴费" if r["status"] == Status.PAID else "未缴费" if r["status"] == Status.APPROVED else ""
    return r


async def counts(reads: Reads, scope: Scope, f: Filters, province_ids: list[int]) -> dict[str, int]:
    """Counts per 审核状态 under the other filters: one GROUP BY (drafts are counted by the database and
    dropped here: a status IN (...) would keep SQLite from the covering index)."""
    rows = await reads.values(Application.filter(_filter_q(scope, f, province_ids, reviewed_only=False))
                       .annotate(n=Count("id")).group_by("status").values("status", "n"))
    by = {r["status"]: r["n"] for r in rows}
    return {key: sum(by.get(s, 0) for s in group) for key, group in STATUS_FILTER.items()}


async def queue(reads: Reads, scope: Scope, f: Filters, *, limit: int | None = PAGE_SIZE) -> dict:
    ids = _province_ids(scope, f.level)
    statuses = STATUS_FILTER[f.status]
    q = _filter_q(scope, f, ids, reviewed_only=False)
    q &= Q(status=statuses[0]) if len(statuses) == 1 else Q(status__in=statuses)
    query = Application.filter(q).order_by("submitted_at", "id")
    if limit:
        # The page's ids first (from the index alone), then the joins for those rows only.
        page = query.offset((f.page - 1) * limit).limit(limit).values("id")
        query = Application.filter(id__in=Subquery(page)).order_by("submitted_at", "id")
    rows = await reads.values(query.values(*ROW_FIELDS))
    return {"rows": [_row(r, scope.cities) for r in rows], "counts": await counts(reads, scope, f, ids) if limit else {}}


async def one_row(scope: Scope, app_id: int) -> dict | None:
    rows = await Application.filter(scope.q(), id=app_id).values(*ROW_FIELDS)
    return _row(rows[0], scope.cities) if rows else None


def sites_of(scope: Scope, city: str = "") -> list[dict]:
    return [s for s in scope.sites if not city or s["city"] == city]


# ------------------------------------------------------------------ decisions


def _refusal(app: Application) -> str:
    if app.status == Status.WITHDRAWN:
        return "考生已撤销该申请（重新报名），无法审核"
    if app.status == Status.DRAFT:
        return "考生正在修改该申请，请待其重新提交后再审核"
    return f"该申请已由{app.reviewed_by or '其他审核人员'}审核"


async def decide(scope: Scope, app_id: int, approve: bool, reason: str, now) -> str | None:
    """通过 / 不通过. Returns None when it took effect, else the message; the caller checked the scope.

    One conditional update on status='submitted' sets the status, who, when and why together: of two
    reviewers (or a reviewer and the candidate withdrawing) only one changes the row.
    """
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        return "请选择或填写不通过的原因"
    to = Status.APPROVED if approve else Status.REJECTED
    who = scope.reviewer
    async with in_transaction():
        moved = await Application.filter(scope.q(), id=app_id, status=Status.SUBMITTED).update(
            status=to, reviewed_at=now, reviewed_by=who.username, review_reason=None if approve else reason)
        if moved:
            await ReviewLog.record(app_id, "approve" if approve else "reject", Status.SUBMITTED, to, now,
                            actor=who.username, reviewer_id=who.id, reason=None if approve else reason)
            return None
    current = await Application.get_or_none(id=app_id)
    return "申请不存在" if current is None else _refusal(current)


async def skip_reasons(scope: Scope, ids: list[str]) -> dict[int | str, str]:
    """Why each of these ids was not approved, as it stands now (for the page after a plain-form 批量通过)."""
    out: dict[int | str, str] = {}
    for raw in ids[:100]:
        app = await in_scope(scope, raw)
        out[raw if app is None else app.id] = "不在您的审核范围内或不存在" if app is None else _refusal(app)
    return out


async def bulk_approve(scope: Scope, ids: list[str], now) -> tuple[list[int], dict[int | str, str]]:
    """Approve each selected id in scope; returns (approved ids, {skipped id: why})."""
    done, skipped = [], {}
    for raw in dict.fromkeys(ids):
        app = await in_scope(scope, raw)
        if app is None:
            skipped[raw] = "不在您的审核范围内或不存在"
            continue
        error = await decide(scope, app.id, True, "", now)
        if error:
            skipped[app.id] = error
        else:
            done.append(app.id)
    return done, skipped


async def clear_photo_flag(scope: Scope, app_id: int, now) -> bool:
    """照片复核: the reviewer accepts the photo; logged like a decision (the status does not change)."""
    app = await in_scope(scope, app_id)
    if app is None:
        return False
    moved = await Application.filter(scope.q(), id=app.id, photo_flag__isnull=False).update(photo_flag=None)
    if moved:
        await ReviewLog.record(app.id, "photo_ok", app.status, app.status, now, actor=scope.reviewer.username,
                        reviewer_id=scope.reviewer.id, reason=f"照片复核通过（{app.photo_flag}）")
    return bool(moved)


async def flagged_photos(scope: Scope) -> list[dict]:
    ids = await ExamProvince.filter(id__in=scope.province_ids or [0], photo_check=True).values_list("id", flat=True)
    q = scope.q() & Q(province_id__in=list(ids) or [0], photo_flag__isnull=False, status=Status.SUBMITTED)
    return await Application.filter(q).order_by("submitted_at", "id").limit(100).values(
        "id", "cand_name", "photo", "photo_flag", "submitted_at")


# ------------------------------------------------------------------ 线上实名认证


def realname_q(reviewer: Reviewer) -> Q:
    q = Q(province_code=reviewer.province_code)
    return q & Q(city_code=reviewer.city) if reviewer.city else q


async def realname_queue(reviewer: Reviewer) -> list[RealnameRequest]:
    return await (RealnameRequest.filter(realname_q(reviewer), status="pending").order_by("id").limit(50)
                  .select_related("account"))


async def realname_in_scope(reviewer: Reviewer, request_id) -> RealnameRequest | None:
    if not str(request_id).isdigit():
        return None
    return await RealnameRequest.filter(realname_q(reviewer), id=int(request_id)).select_related("account").first()


# ------------------------------------------------------------------ files


async def reviewer_may_see(reference: ReferenceData, reviewer: Reviewer, name: str) -> bool:
    """May this reviewer open the uploaded file `name` (/files/...)? Photos and materials of submitted
    applications in scope, and 实名认证 images of requests in scope."""
    scope = await scope_of(reference, reviewer)
    if await Application.filter(scope.q(), photo=name).exists():
        return True
    material = await Material.filter(stored=name).first()
    if material is not None and await Application.filter(scope.q(), id=material.application_id).exists():
        return True
    files = Q(front=name) | Q(back=name) | Q(handheld=name)
    return await RealnameRequest.filter(realname_q(reviewer) & files).exists()


# ------------------------------------------------------------------ 导出


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEAD = ("报名编号", "姓名", "证件号码", "手机号", "级别", "报考地市", "报名点", "提交时间", "审核状态", "缴费状态",
            "重新提交", "审核人", "审核意见")


def safe_cell(value) -> str:
    """A spreadsheet runs a cell beginning with = + - @ (or tab/CR) as a formula: a leading ' keeps it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_HEAD)
    for r in rows:
        at = r["submitted_at"].astimezone(CN).strftime("%Y-%m-%d %H:%M") if r["submitted_at"] else ""
        w.writerow([safe_cell(v) for v in (r["id"], r["cand_name"], r["masked_id"], r["masked_phone"], r["level"],
                                           r["city_name"], r["site_name"], at, r["status_label"], r["pay_label"],
                                           "是" if r["resubmitted"] else "", r["reviewed_by"], r["review_reason"])])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8


# ------------------------------------------------------------------ 统计


async def exams_of(scope: Scope) -> list[dict]:
    """The exams of the reviewer's province (one ExamProvince each), newest first, for the 统计 selector."""
    return await ExamProvince.filter(id__in=scope.province_ids or [0]).order_by("-exam__year", "exam_id").values(
        "id", "exam__name", "reg_start", "reg_end")


async def stats(scope: Scope, exam: dict, today: date | None = None, most_days: int = 62) -> dict:
    """For one exam: submissions per day over its registration window so far (China time, at most
    `most_days` bars), and counts by status, city and site."""
    base = Q(scope.q(), province_id=exam["id"])
    by_status = dict(await Application.filter(base).annotate(n=Count("id")).group_by("status")
                     .values_list("status", "n"))
    by_city = dict(await Application.filter(base).annotate(n=Count("id")).group_by("city_code")
                   .values_list("city_code", "n"))
    today = today or datetime.now(CN).date()
    last = min(today, exam["reg_end"].astimezone(CN).date())
    first = max(exam["reg_start"].astimezone(CN).date(), last - timedelta(days=most_days - 1))
    per_day = {first + timedelta(days=i): 0 for i in range((last - first).days + 1)}
    start = datetime.combine(first, time(), CN)
    for at in await Application.filter(base, submitted_at__gte=start).values_list("submitted_at", flat=True):
        day = at.astimezone(CN).date()
        if day in per_day:
            per_day[day] += 1
    sites = await Site.filter(id__in=[s["id"] for s in scope.sites] or [0], city__exam_province_id=exam["id"]
                              ).order_by("city__code", "id").values("id", "name", "taken", "capacity")
    for s in sites:
        s["near_full"] = s["capacity"] == 0 or s["taken"] / s["capacity"] >= 0.9
    cities = scope.cities
    return {"by_status": {Status.LABELS[k]: v for k, v in by_status.items()},
            "by_city": [(cities.get(k, k or "—"), v) for k, v in sorted(by_city.items(), key=lambda kv: kv[0] or "")],
            "sites": sites, "chart": bar_chart(list(per_day.items()))}


def bar_chart(points: list[tuple[date, int]], width: int = 560, height: int = 160) -> dict:
    """Bars for an SVG drawn by the template: positions computed here, no JavaScript."""
    top = max((n for _, n in points), default=0) or 1
    slot = width / max(1, len(points))
    bars = []
    for i, (day, n) in enumerate(points):
        h = round((height - 20) * n / top)
        bars.append({"x": round(i * slot + 2, 1), "y": height - 14 - h, "w": round(slot - 4, 1), "h": h, "n": n,
                     "label": day.strftime("%m-%d"), "tx": round(i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "total": sum(n for _, n in points)}


# ------------------------------------------------------------------ detail


def eligibility_of(snap: Snapshot):
    """报考条件 checked against the personal data in the snapshot (as the wizard checked the record)."""
    p, code = snap.personal, snap.condition.code
    if code not in eligibility.CONDITIONS:
        return None
    educations = [SimpleNamespace(level=p.level)] if p.level else []
    try:
        start = date.fromisoformat(p.accounting_start[:10]) if p.accounting_start else None
    except ValueError:
        start = None
    return eligibility.check(code, snap.exam.year, educations, p.degree or None, start)


PHOTO_REASON = "照片不符合要求"


def reject_reason(form, templates: list[str]) -> tuple[str, str | None]:
    """The reason from the template select (reason_choice) and/or the text (reason). Returns (reason, error)."""
    choice, text = form.get("reason_choice"), form.get("reason")
    # 照片复核's button gives PHOTO_REASON whether or not the province lists it among its templates.
    if choice and choice not in templates and choice != PHOTO_REASON:
        return "", "请从列表中选择原因"
    if len(text) > 150:
        return "", "不通过原因不能超过150个字"
    reason = "；".join(x for x in (choice, text) if x)
    return reason, None if reason else "请选择或填写不通过的原因"
