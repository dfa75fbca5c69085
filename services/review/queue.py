"""The reviewers' queue: filters, one page of rows, the counts per 审核状态, and the 照片复核 list.

The queue page is three queries: the scope's ExamProvince ids (cached with the reference data), one page of
rows (joined, no per-row queries) and the counts per status in one GROUP BY; they use the indexes
(province_id, status, submitted_at), (province_id, city_code, status) and (province_id, id_last4), and they
run on the read path (app.state.reads).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from db.reads import Reads
from models.applications import Application, Status
from models.exams import ExamProvince, Site
from services import clock
from services.accounts import names
from services.review.scope import Scope

PAGE_SIZE = 20
PAGE_MAX = 100_000
_CITY = re.compile(r"[0-9]{6}")  # GB/T 2260 (Application.city_code)
_SITE = re.compile(r"[1-9][0-9]{0,9}")
_NUMBER = re.compile(r"[0-9]{1,12}")
_ID_MAX = Site._meta.pk.constraints["le"]  # the id column's range
_NAME_MAX = Application._meta.fields_map["cand_name"].max_length
LEVELS = ("初级", "中级", "高级")
# 审核状态 filter values: 审核通过 includes 报名成功 (paid is approved, then paid).
STATUS_FILTER = {Status.SUBMITTED: (Status.SUBMITTED,), Status.APPROVED: (Status.APPROVED, Status.PAID),
                 Status.REJECTED: (Status.REJECTED,), Status.WITHDRAWN: (Status.WITHDRAWN,), Status.PAID: (Status.PAID,)}


@dataclass
class Filters:
    status: str = Status.SUBMITTED
    city: str = ""
    site: str = ""
    level: str = ""
    day: str = ""  # submission date, China time, YYYY-MM-DD
    q: str = ""  # a name, or the last 4 characters of the ID number: from the session, never the URL
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params, search: str = "") -> "Filters":
        """The filters of the board's query. `params` are its values as text without control characters
        (web.forms.Form); each is typed here and a value of the wrong shape is no filter, so every value the
        queue's queries compare holds in its column: a city code is 6 digits, a site an id within the id column's
        range, a date a date, a name fits the name column. `search` is the 姓名/证件号后4位 search, kept in the
        reviewer's session (services.review.search): personal, it never comes from the query string (a `q` there
        is no filter) and `params()` never puts it in one."""
        get = {k: (params.get(k) or "").strip() for k in ("status", "city", "site", "level", "day", "page")}
        f = cls(q=search.strip()[:_NAME_MAX])  # a name (prefix) is never longer than its column
        f.status = get["status"] if get["status"] in STATUS_FILTER else Status.SUBMITTED
        f.city = get["city"] if _CITY.fullmatch(get["city"]) else ""
        f.site = get["site"] if _SITE.fullmatch(get["site"]) and int(get["site"]) <= _ID_MAX else ""
        f.level = get["level"] if get["level"] in LEVELS else ""
        f.page = max(1, min(int(get["page"]), PAGE_MAX)) if _NUMBER.fullmatch(get["page"]) else 1
        if get["day"]:
            try:
                date.fromisoformat(get["day"])
                f.day = get["day"]
            except ValueError:
                f.errors["day"] = "日期格式应为 年-月-日"
        return f

    def params(self, **changes) -> dict:
        """The filters of a link's query string: everything but the search (`q`), which is personal."""
        values = {"status": self.status, "city": self.city, "site": self.site, "level": self.level, "day": self.day,
                  "page": self.page, **changes}
        return {k: v for k, v in values.items() if v not in ("", None, 1) or k == "status"}


def _filter_q(scope: Scope, f: Filters, province_ids: list[int]) -> Q:
    """The scope and every filter but the status (the caller adds it: the counts group by it)."""
    q = scope.applications(province_ids, reviewed_only=False)
    if f.city:
        q &= Q(city_code=f.city)
    if f.site.isdigit():
        q &= Q(site_id=int(f.site))
    if f.day:
        # In UTC, as stored: SQLite compares the text.
        start = clock.china_midnight(date.fromisoformat(f.day)).astimezone(timezone.utc)
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
    rows = await reads.values(Application.filter(_filter_q(scope, f, province_ids))
                              .annotate(n=Count("id")).group_by("status").values("status", "n"))
    by = {r["status"]: r["n"] for r in rows}
    return {key: sum(by.get(s, 0) for s in group) for key, group in STATUS_FILTER.items()}


async def queue(reads: Reads, scope: Scope, f: Filters, *, limit: int | None = PAGE_SIZE) -> dict:
    """One page of rows under the filters (every row when `limit` is None, without counts: the export)."""
    ids = _province_ids(scope, f.level)
    statuses = STATUS_FILTER[f.status]
    q = _filter_q(scope, f, ids)
    q &= Q(status=statuses[0]) if len(statuses) == 1 else Q(status__in=statuses)
    query = Application.filter(q).order_by("submitted_at", "id")
    if limit:
        # The page's ids first (from the index alone), then the joins for those rows only.
        page = query.offset((f.page - 1) * limit).limit(limit).values("id")
        query = Application.filter(id__in=Subquery(page)).order_by("submitted_at", "id")
    rows = await reads.values(query.values(*ROW_FIELDS))
    return {"rows": [_row(r, scope.cities) for r in rows], "counts": await counts(reads, scope, f, ids) if limit else {}}


async def one_row(reads: Reads, scope: Scope, app_id: int) -> dict | None:
    """The queue's row of one application in scope (answered after a decision, to replace the row)."""
    rows = await reads.values(Application.filter(scope.applications(), id=app_id).values(*ROW_FIELDS))
    return _row(rows[0], scope.cities) if rows else None


def sites_of(scope: Scope, city: str = "") -> list[dict]:
    return [s for s in scope.sites if not city or s["city"] == city]


async def flagged_photos(scope: Scope) -> list[dict]:
    """照片复核: submissions whose photo the automatic check flagged, where the province checks photos."""
    ids = await ExamProvince.filter(id__in=scope.province_ids or [0], photo_check=True).values_list("id", flat=True)
    q = scope.applications() & Q(province_id__in=list(ids) or [0], photo_flag__isnull=False, status=Status.SUBMITTED)
    return await Application.filter(q).order_by("submitted_at", "id").limit(100).values(
        "id", "cand_name", "photo", "photo_flag", "submitted_at")
