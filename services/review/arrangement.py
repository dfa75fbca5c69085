"""The board's 考场编排 page: what it shows for one exam of the reviewer's province (the operation itself is
services.arrangement). Only a province-level reviewer arranges; a city reviewer sees its city's rooms."""
from __future__ import annotations

from datetime import datetime

from models.arrangement import Arrangement
from models.exams import ExamProvince
from services import arrangement
from services.arrangement import reads
from services.review.scope import Scope

CITY_REFUSED = "考场编排由省级审核人员进行，市级审核人员不能编排。"


def may_arrange(scope: Scope) -> bool:
    return not scope.reviewer.city


async def exams_of(scope: Scope) -> list[dict]:
    """The exams of the reviewer's province, newest first: id, exam code and name, province code."""
    return await ExamProvince.filter(id__in=scope.province_ids or [0]).order_by("-exam__year", "exam_id").values(
        "id", "exam__code", "exam__name", "province_code")


async def province_in_scope(scope: Scope, exam_code: str, province_code: str) -> ExamProvince | None:
    ep = await arrangement.province_of(exam_code, province_code)
    return ep if ep is not None and ep.id in scope.province_ids else None


async def page(scope: Scope, ep: ExamProvince, now: datetime) -> dict:
    """The preview (province reviewers only), the runs so far and the rooms (of the city, for a city reviewer)."""
    exam = await ep.exam
    plan = await arrangement.preview(ep) if may_arrange(scope) else None
    runs = await Arrangement.filter(exam_province_id=ep.id).order_by("-id").limit(20)
    rooms = await reads.rooms_of(ep.id, scope.reviewer.city)
    sites: dict[int, dict] = {}
    for r in rooms:
        sites.setdefault(r.site_id, {"name": r.site_name, "city": r.city_name, "venue": r.venue, "rooms": []})[
            "rooms"].append(r)
    return {"ep": ep, "exam": exam, "plan": plan, "runs": runs, "sites": list(sites.values()),
            "pay_open": now < ep.pay_end, "pay_open_message": arrangement.pay_open_message(ep),
            "may_arrange": may_arrange(scope), "city_refused": CITY_REFUSED}
