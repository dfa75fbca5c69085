"""统计: for one exam of the reviewer's province, submissions per day, counts by status, city and site, and
考场编排 per site (paid applications with a 准考证号 and seats, and those without)."""
from __future__ import annotations

from datetime import date, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count

from models.applications import Application, Status
from models.arrangement import Admission
from models.exams import ExamProvince, Site
from services import clock
from services.review.scope import Scope


async def exams_of(scope: Scope) -> list[dict]:
    """The exams of the reviewer's province (one ExamProvince each), newest first, for the 统计 selector."""
    return await ExamProvince.filter(id__in=scope.province_ids or [0]).order_by("-exam__year", "exam_id").values(
        "id", "exam__name", "reg_start", "reg_end")


async def stats(scope: Scope, exam: dict, today: date | None = None, most_days: int = 62) -> dict:
    """For one exam: submissions per day over its registration window so far (China time, at most
    `most_days` bars), and counts by status, city and site."""
    base = Q(scope.applications(), province_id=exam["id"])
    by_status = dict(await Application.filter(base).annotate(n=Count("id")).group_by("status")
                     .values_list("status", "n"))
    by_city = dict(await Application.filter(base).annotate(n=Count("id")).group_by("city_code")
                   .values_list("city_code", "n"))
    last = min(today or clock.today(), clock.china_date(exam["reg_end"]))
    first = max(clock.china_date(exam["reg_start"]), last - timedelta(days=most_days - 1))
    per_day = {first + timedelta(days=i): 0 for i in range((last - first).days + 1)}
    for at in await Application.filter(base, submitted_at__gte=clock.china_midnight(first)).values_list(
            "submitted_at", flat=True):
        day = clock.china_date(at)
        if day in per_day:
            per_day[day] += 1
    sites = await Site.filter(id__in=[s["id"] for s in scope.sites] or [0], city__exam_province_id=exam["id"]
                              ).order_by("city__code", "id").values("id", "name", "taken", "capacity")
    paid = dict(await Application.filter(base, status=Status.PAID).annotate(n=Count("id")).group_by("site_id")
                .values_list("site_id", "n"))
    seated = dict(await Admission.filter(exam_province_id=exam["id"], application__status=Status.PAID,
                                         application__site_id__in=[s["id"] for s in sites] or [0])
                  .annotate(n=Count("id")).group_by("application__site_id").values_list("application__site_id", "n"))
    for s in sites:
        s["near_full"] = s["capacity"] == 0 or s["taken"] / s["capacity"] >= 0.9
        s["paid"], s["seated"] = paid.get(s["id"], 0), seated.get(s["id"], 0)
        s["unseated"] = s["paid"] - s["seated"]
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
