"""导出: the queue under its filters, every row, as CSV for a spreadsheet."""
from __future__ import annotations

import csv
import io

from db.reads import Reads
from services import clock
from services.review.queue import Filters, queue
from services.review.scope import Scope

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
        w.writerow([safe_cell(v) for v in (r["id"], r["cand_name"], r["masked_id"], r["masked_phone"], r["level"],
                                           r["city_name"], r["site_name"], clock.local(r["submitted_at"]),
                                           r["status_label"], r["pay_label"], "是" if r["resubmitted"] else "",
                                           r["reviewed_by"], r["review_reason"])])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8


async def export_csv(reads: Reads, scope: Scope, f: Filters) -> bytes:
    """Every row in scope under the filters (the queue's rows, masked as there), as CSV."""
    return to_csv((await queue(reads, scope, f, limit=None))["rows"])
