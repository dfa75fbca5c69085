"""Time 成绩导入 of a 100,000-row file (services.scores; target: the preview and the confirmation under 20 s).

    .venv/bin/python bench/scores_import.py [--rows 100000] [--db sqlite|postgres]

A throwaway database (SQLite file, or with --db postgres the database named by BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_scores, emptied first): bench/journey.toml's province (浙江), ROWS / 2
paid candidates of both 初级 subjects with a 准考证号 each (bulk insert, as bench/arrange.py seeds them, the
numbers given directly rather than by a full 考场编排). The file is written as the office's spreadsheet saves it:
GBK, Windows line ends, a header. Timed: the upload's preview (decode, check every row, keep the file), the
confirmation (every score stored in one transaction), a second identical file (nothing to change), and a
corrected file of 1,000 changed scores, previewed and confirmed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "dev")

from bench.arrange import add_paid  # noqa: E402
from bench.throwaway import database_url  # noqa: E402


async def main(rows: int, database_url: str) -> None:
    import db
    from models.applications import Application
    from models.arrangement import Admission, Arrangement
    from models.exams import ExamProvince, Site
    from models.scores import Score
    from services import clock, scores
    from services.reference import seeding

    await db.migrate(database_url)
    await db.init(database_url)
    try:
        await seeding.seed(ROOT / "bench" / "journey.toml", clock.today())
        ep = await ExamProvince.get(province_code="33", exam__code="bench-chuji").select_related("exam")
        sites = await Site.filter(city__exam_province=ep).select_related("city").order_by("id")
        count = rows // 2
        t = time.perf_counter()
        for start in range(0, count, 10_000):  # PostgreSQL takes at most 32,767 arguments in one query
            await add_paid(ep, sites, start, min(10_000, count - start))
        run = await Arrangement.create(exam_province_id=ep.id, seed=1, actor="bench", at=clock.now())
        ids = await Application.filter(province_id=ep.id).order_by("id").values_list("id", flat=True)
        await Admission.bulk_create([Admission(application_id=a, exam_id=ep.exam_id, exam_province_id=ep.id,
                                               number=f"202713{i:014d}", arrangement_id=run.id)
                                     for i, a in enumerate(ids)], batch_size=1000)
        print(f"seeded {count} paid candidates with a 准考证号 ({time.perf_counter() - t:.1f} s)")
        rnd = random.Random(7)
        subjects = list(ep.exam.subjects)
        marks = {(i, s): rnd.randint(0, 1000) for i in range(count) for s in subjects}

        def file_of(m: dict) -> bytes:
            lines = ["准考证号,科目,成绩"] + [f"202713{i:014d},{s},{scores.fmt(t)}" for (i, s), t in m.items()]
            return ("\r\n".join(lines) + "\r\n").encode("gbk")

        data = file_of(marks)
        t = time.perf_counter()
        batch, p = await scores.prepare(ep.exam, "33", data, "scores.csv", "bench", clock.now())
        first = time.perf_counter() - t
        print(f"preview:        {first:6.2f} s  ({len(data) / 1e6:.1f} MB) {p.message}")
        t = time.perf_counter()
        out = await scores.confirm(batch, clock.now())
        second = time.perf_counter() - t
        print(f"confirm:        {second:6.2f} s  {out.message}")
        assert out.ok and await Score.all().count() == rows, out.message
        t = time.perf_counter()
        batch, p = await scores.prepare(ep.exam, "33", data, "scores.csv", "bench", clock.now())
        print(f"same file:      {time.perf_counter() - t:6.2f} s  {p.message}")
        assert p.nothing_to_change
        for key in rnd.sample(sorted(marks), 1000):
            marks[key] = (marks[key] + 1) % 1001
        t = time.perf_counter()
        batch, p = await scores.prepare(ep.exam, "33", file_of(marks), "fixed.csv", "bench", clock.now())
        out = await scores.confirm(batch, clock.now())
        print(f"1,000 changed:  {time.perf_counter() - t:6.2f} s  {out.message}")
        assert out.ok and len(p.changes) == 1000 and await Score.all().count() == rows
        total = first + second
        print(f"preview + confirm of {rows} rows: {total:.2f} s; {'PASS' if total < 20 else 'FAIL'} (under 20 s)")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    url = database_url(args.db, "scores")
    asyncio.run(main(args.rows, url))
