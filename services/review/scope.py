"""审核范围: what a reviewer may list, open, decide, export, reconcile and download, decided here once.

A reviewer works inside a scope: a province (Reviewer.province_code), or one city of it (Reviewer.city, a
city code, as Application.city_code and RealnameRequest.city_code). The board, 对账, the exports, the
statistics and the file access (services/documents/access.py) all start from a `Scope` and ask it for the
condition on the model they read: `applications()`, `orders()`, `notifications()`, `realname_requests()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.expressions import Q

from models.accounts import Reviewer
from models.applications import Application, Status
from models.exams import ExamProvince
from services.reference.exams import ReferenceData

# Reviewers see submissions only, never drafts.
REVIEWED = (Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.PAID)


@dataclass
class Scope:
    reviewer: Reviewer
    province_ids: list[int]  # ExamProvince rows of the reviewer's province
    levels: dict[int, str] = field(default_factory=dict)  # ExamProvince id → 级别
    cities: dict[str, str] = field(default_factory=dict)  # code → name, inside the scope
    sites: list[dict] = field(default_factory=list)  # {id, name, city}, inside the scope

    def _region(self, via: str = "", province_ids: list[int] | None = None) -> Q:
        """The province's exams (or some of them), and the city when the reviewer has one; `via` is the path
        from the model filtered to the application."""
        q = Q(**{f"{via}province_id__in": (self.province_ids if province_ids is None else province_ids) or [0]})
        return q & Q(**{f"{via}city_code": self.reviewer.city}) if self.reviewer.city else q

    def applications(self, province_ids: list[int] | None = None, *, reviewed_only: bool = True) -> Q:
        """Applications inside the scope. `province_ids` narrows it to some of its exams (the 级别 filter);
        `reviewed_only=False` leaves the status to the caller (the queue filters it itself, by index)."""
        q = self._region(province_ids=province_ids)
        return q & Q(status__in=REVIEWED) if reviewed_only else q

    def orders(self) -> Q:
        """Orders of the scope's applications, whatever the application's status now (对账 keeps them all)."""
        return self._region("application__")

    def notifications(self) -> Q:
        """Payment notifications about the scope's orders. One naming no known order is placed by the province
        code inside the order number it names: province reviewers see it, a city reviewer cannot place it."""
        q = self._region("order__application__")
        if not self.reviewer.city:
            q |= Q(order_id=None, order_number__contains=f"-{self.reviewer.province_code}-")
        return q

    def realname_requests(self) -> Q:
        """线上实名认证 requests filed for the scope's province (and city)."""
        q = Q(province_code=self.reviewer.province_code)
        return q & Q(city_code=self.reviewer.city) if self.reviewer.city else q

    @property
    def city_name(self) -> str:
        return self.cities.get(self.reviewer.city, self.reviewer.city) if self.reviewer.city else ""


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
    """The application `app_id` (with its exam) when it is inside the scope, else None."""
    try:
        app_id = int(app_id)
    except (TypeError, ValueError):
        return None
    return await Application.filter(scope.applications(), id=app_id).select_related("exam").first()
