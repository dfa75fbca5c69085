"""Time 考场编排 of one province of 20,000 paid candidates (services.arrangement; target: under 10 s).

    .venv/bin/python bench/arrange.py [--count 20000] [--db sqlite|postgres]

A throwaway database (SQLite file, or with --db postgres the database named by BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_arrange, emptied first): bench/journey.toml's province (浙江, five
sites, both 初级 subjects in one session), 140 rooms of 30 seats at each site, COUNT paid applications spread over
the sites by bulk insert. Timed: the preview, the arrangement (every candidate seated and given a 准考证号), a
second run that finds nothing to do, and a third after 100 late payments. Then the rows are checked: one 准考证号
and one seat per candidate, no seat twice.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "dev")

from bench.throwaway import database_url  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
ROOMS, SEATS = 140, 30


async def add_paid(ep, sites, start: int, count: int) -> None:
    from models.accounts import Account
    from models.applications import Application
    from services.accounts.idnumbers import check_digit

    rnd = random.Random(start)
    t0 = datetime.now(timezone.utc) - timedelta(days=14)
    accounts = []
    for i in range(start, start + count):
        first17 = f"3301051990{i:07d}"
        accounts.append(Account(id_type="mainland", id_number=first17 + check_digit(first17),
                                name=rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                                phone=f"135{i:08d}", password_hash="x", realname_at=t0))
    await Account.bulk_create(accounts, batch_size=1000)
    rows = await Account.filter(phone__in=[a.phone for a in accounts]).values_list("id", "id_number", "name")
    subjects = list(ep.exam.subjects)
    apps = []
    for i, (aid, number, name) in enumerate(rows):
        site = sites[(start + i) % len(sites)]
        apps.append(Application(account_id=aid, exam_id=ep.exam_id, province_id=ep.id, site_id=site.id,
                                status="paid", submitted_at=t0, paid_at=t0 + timedelta(days=1), snapshot={},
                                city_code=site.city.code, cand_name=name, id_last4=number[-4:],
                                active_key=f"{aid}:{ep.exam_id}", subjects=subjects))
    await Application.bulk_create(apps, batch_size=1000)


async def main(count: int, database_url: str) -> None:
    import db
    from models.arrangement import Admission, Seat
    from models.exams import ExamProvince, Room, Site
    from services import arrangement, clock
    from services.reference import seeding

    await db.migrate(database_url)
    await db.init(database_url)
    try:
        await seeding.seed(ROOT / "bench" / "journey.toml", clock.today())
        ep = await ExamProvince.get(province_code="33", exam__code="bench-chuji").select_related("exam")
        await ExamProvince.filter(id=ep.id).update(pay_end=clock.now() - timedelta(hours=1))
        ep = await ExamProvince.get(id=ep.id).select_related("exam")
        sites = await Site.filter(city__exam_province=ep).select_related("city").order_by("id")
        for site in sites:
            have = set(await Room.filter(site_id=site.id).values_list("number", flat=True))
            await Room.bulk_create([Room(site_id=site.id, number=n, seats=SEATS) for n in range(1, ROOMS + 1)
                                    if n not in have])
            await Room.filter(site_id=site.id).update(seats=SEATS)
        t = time.perf_counter()
        await add_paid(ep, sites, 0, count)
        print(f"seeded {count} paid applications over {len(sites)} sites, {ROOMS} rooms × {SEATS} seats each "
              f"({time.perf_counter() - t:.1f} s)")

        t = time.perf_counter()
        plan = await arrangement.preview(ep)
        print(f"preview:        {time.perf_counter() - t:6.2f} s  ({plan.paid} paid, {plan.to_seat} to seat, "
              f"{len(plan.shortages)} shortages)")
        t = time.perf_counter()
        out = await arrangement.arrange(ep, "bench", clock.now())
        first = time.perf_counter() - t
        print(f"arrange:        {first:6.2f} s  {out.message}")
        assert out.ok, out.message
        t = time.perf_counter()
        again = await arrangement.arrange(ep, "bench", clock.now())
        print(f"again:          {time.perf_counter() - t:6.2f} s  {again.message}")
        await add_paid(ep, sites, count, 100)
        t = time.perf_counter()
        late = await arrangement.arrange(ep, "bench", clock.now())
        print(f"100 late:       {time.perf_counter() - t:6.2f} s  {late.message}")
        seats = await Seat.all().count()
        distinct = len(set(await Seat.all().values_list("session_id", "room_id", "seat")))
        admissions = await Admission.all().count()
        assert seats == distinct == admissions == count + 100, (seats, distinct, admissions)
        print(f"checked: {admissions} 准考证号, {seats} seats, none twice; "
              f"{'PASS' if first < 10 else 'FAIL'} (arrangement under 10 s)")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    url = database_url(args.db, "arrange")
    asyncio.run(main(args.count, url))
