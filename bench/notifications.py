"""Time the notification job over one province of 20,000 approved, unpaid applications whose 缴费 closes within
24 hours (services.notifications: 缴费即将截止 for each, then its SMS through the sandbox).

    .venv/bin/python bench/notifications.py [--count 20000] [--db sqlite|postgres]

A throwaway database (SQLite file, or with --db postgres the database named by BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_notifications, emptied first): bench/journey.toml's province (浙江),
COUNT approved applications by bulk insert. Timed: recording the reminders (one query and a bulk insert), a second
detection that finds nothing, and sending every SMS by two job runs at once (as two processes would share them),
round after round until nothing is due.
Then the rows are checked: one reminder and one SMS in the outbox per application.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "dev")

from bench.throwaway import database_url  # noqa: E402


async def add_approved(ep, site, count: int) -> None:
    from models.accounts import Account
    from models.applications import Application
    from services.accounts.idnumbers import check_digit

    t0 = datetime.now(timezone.utc) - timedelta(days=14)
    accounts = []
    for i in range(count):
        first17 = f"3301051990{i:07d}"
        accounts.append(Account(id_type="mainland", id_number=first17 + check_digit(first17), name="王小明",
                                phone=f"136{i:07d}1", password_hash="x", realname_at=t0))
    await Account.bulk_create(accounts, batch_size=1000)
    rows = await Account.all().values_list("id", "id_number")
    await Application.bulk_create([
        Application(account_id=aid, exam_id=ep.exam_id, province_id=ep.id, site_id=site.id, status="approved",
                    submitted_at=t0, snapshot={}, city_code=site.city.code, cand_name="王小明",
                    id_last4=number[-4:], active_key=f"{aid}:{ep.exam_id}", subjects=list(ep.exam.subjects))
        for aid, number in rows], batch_size=1000)


async def main(count: int, database_url: str) -> None:
    import db
    from models.exams import ExamProvince, Site
    from models.notifications import Notification
    from models.sandbox import SmsOutbox
    from services import clock
    from services.notifications import events, jobs
    from services.providers.sms import SandboxSms
    from services.reference import seeding

    await db.migrate(database_url)
    await db.init(database_url)
    try:
        await seeding.seed(ROOT / "bench" / "journey.toml", clock.today())
        ep = await ExamProvince.get(province_code="33", exam__code="bench-chuji").select_related("exam")
        await ExamProvince.filter(id=ep.id).update(pay_start=clock.now() - timedelta(days=5),
                                                   pay_end=clock.now() + timedelta(hours=20))
        site = await Site.filter(city__exam_province=ep).select_related("city").first()
        t = time.perf_counter()
        await add_approved(ep, site, count)
        print(f"seeded {count} approved, unpaid applications ({time.perf_counter() - t:.1f} s)")
        now = clock.now()
        t = time.perf_counter()
        found = await events.detect(now)
        first = time.perf_counter() - t
        print(f"detect:         {first:6.2f} s  {found}")
        t = time.perf_counter()
        again = await events.detect(now)
        print(f"again:          {time.perf_counter() - t:6.2f} s  {again}")
        sms = SandboxSms()
        t = time.perf_counter()
        total, rounds = 0, 0
        while True:  # each run stops after jobs.MAX_BATCHES batches; the job's next run, 30 s later, goes on
            runs = await asyncio.gather(jobs.run_once(sms, now), jobs.run_once(sms, now))
            sent_now = sum(sent for _, sent in runs)
            if not sent_now:
                break
            total, rounds = total + sent_now, rounds + 1
        send = time.perf_counter() - t
        print(f"send:           {send:6.2f} s  {total} SMS in {rounds} rounds of two runs at once "
              f"({total / send:.0f} a second)")
        rows = await Notification.filter(event="payment_due").count()
        sent = await Notification.filter(sms_status="sent").count()
        outbox = await SmsOutbox.all().count()
        phones = len(set(await SmsOutbox.all().values_list("phone", flat=True)))
        assert rows == sent == outbox == phones == count, (rows, sent, outbox, phones)
        print(f"checked: {rows} reminders, {outbox} SMS in the outbox, one per phone")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    url = database_url(args.db, "notifications")
    asyncio.run(main(args.count, url))
