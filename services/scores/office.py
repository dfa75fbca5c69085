"""成绩 for the office (issue 16): pass rates per subject, city and site on the 统计 page, and the results as CSV,
inside the reviewer's scope (a city reviewer: its city only), whether published or not (the office's own data)."""
from __future__ import annotations

import csv
import io

from models.scores import Score
from services.review.export import safe_cell
from services.review.scope import Scope
from services.scores import PASS_TENTHS, fmt


def _rate(passed: int, n: int) -> str:
    return f"{passed * 100 / n:.1f}%" if n else "—"


async def _rows(scope: Scope, ep_id: int) -> list[dict]:
    q = Score.filter(exam_province_id=ep_id)
    if scope.reviewer.city:
        q = q.filter(application__city_code=scope.reviewer.city)
    return await q.values("subject", "tenths", "application_id", "application__city_code", "application__site_id",
                          "application__cand_name", "application__admission__number", "application__site__name")


async def pass_rates(scope: Scope, ep_id: int, subjects: list[str]) -> dict:
    """合格 counts and rates: {"subjects": [...], "cities": [...], "sites": [...]}, each row {name, n, passed,
    rate} (per city and site: subject entries, all subjects together)."""
    rows = await _rows(scope, ep_id)
    site_names = {s["id"]: s["name"] for s in scope.sites}

    def group(key, names) -> list[dict]:
        out: dict = {}
        for r in rows:
            k = key(r)
            g = out.setdefault(k, {"name": names(k, r), "n": 0, "passed": 0})
            g["n"] += 1
            g["passed"] += r["tenths"] >= PASS_TENTHS
        for g in out.values():
            g["rate"] = _rate(g["passed"], g["n"])
        return list(out.values())

    order = {s: i for i, s in enumerate(subjects)}
    by_subject = sorted(group(lambda r: r["subject"], lambda k, r: k), key=lambda g: order.get(g["name"], 99))
    by_city = sorted(group(lambda r: r["application__city_code"],
                           lambda k, r: scope.cities.get(k, k or "—")), key=lambda g: g["name"])
    by_site = group(lambda r: r["application__site_id"],
                    lambda k, r: site_names.get(k) or r["application__site__name"] or "—")
    return {"subjects": by_subject, "cities": by_city, "sites": by_site, "total": len(rows)}


async def results_csv(scope: Scope, ep_id: int, subjects: list[str]) -> bytes:
    """One line per candidate: 准考证号, 姓名, 地市, 报名点, each subject's score (empty: none) and 合格 / 不合格."""
    people: dict[int, dict] = {}
    for r in await _rows(scope, ep_id):
        p = people.setdefault(r["application_id"], {"number": r["application__admission__number"] or "",
                                                    "name": r["application__cand_name"] or "",
                                                    "city": scope.cities.get(r["application__city_code"], ""),
                                                    "site": r["application__site__name"] or "", "scores": {}})
        p["scores"][r["subject"]] = r["tenths"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["准考证号", "姓名", "地市", "报名点", *[x for s in subjects for x in (s, f"{s}结果")]])
    for p in sorted(people.values(), key=lambda p: p["number"]):
        cells = []
        for s in subjects:
            t = p["scores"].get(s)
            cells += [fmt(t), "" if t is None else ("合格" if t >= PASS_TENTHS else "不合格")]
        w.writerow([safe_cell(v) for v in (p["number"], p["name"], p["city"], p["site"], *cells)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8
