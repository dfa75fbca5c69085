"""Benchmark of the reviewers' queue: 10,000 submitted applications in 北京, one uvicorn worker, wrk.

    .venv/bin/python bench/review_queue.py        (needs wrk and taskset; DURATION=10s by default)

As bench/run.sh: a throwaway SQLite file, the server pinned to core 0 and wrk to core 1, a 2-second warm-up
that is not counted, then `wrk -t1 -c50 --latency`. Target: p99 < 50 ms for the first page and a filtered
page. It also shows that approving is one round trip: one POST whose answer is the updated row.
"""
from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8766"))
DURATION = os.environ.get("DURATION", "10s")
COUNT = 10_000
CONNECTIONS = [int(c) for c in os.environ.get("CONNECTIONS", "1,10,50").split(",")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


async def seed(database_url: str) -> None:
    """Accounts and applications by bulk insert (no HTTP, no per-row round trips)."""
    import db
    from models.accounts import Account
    from models.applications import Application
    from models.exams import ExamProvince, Site
    from services.accounts.idnumbers import check_digit

    await db.init(database_url)
    try:
        ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji").select_related("exam")
        sites = await Site.filter(city__exam_province=ep, capacity__gte=500).select_related("city")
        rnd = random.Random(7)
        t0 = datetime.now(timezone.utc) - timedelta(days=14)
        accounts = []
        for i in range(COUNT):
            first17 = f"1101051990{i:07d}"  # unique; the birth-date digits do not matter here
            accounts.append(Account(id_type="mainland", id_number=first17 + check_digit(first17),
                                    name=rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                                    phone=f"135{i:08d}", password_hash="x", realname_at=t0))
        await Account.bulk_create(accounts, batch_size=1000)
        stored = await Account.filter(phone__startswith="135").order_by("id").values_list("id", "id_number", "name")
        apps = []
        for i, (aid, number, name) in enumerate(stored):
            site = sites[i % len(sites)]
            snap = {"exam": {"name": ep.exam.name, "level": ep.exam.level, "year": ep.exam.year},
                    "province": {"code": "11", "name": "北京"}, "city": site.city.name,
                    "site": {"name": site.name, "address": site.address}, "subjects": ["初级会计实务"],
                    "fee_fen": 5600, "condition": {"code": "chuji_high_school", "label": "高中"},
                    "candidate": {"name": name, "id_type": "mainland", "id_number": number, "phone": f"135{i:08d}"},
                    "photo": None, "personal": {}, "materials": [], "review_mode": "manual"}
            apps.append(Application(account_id=aid, exam_id=ep.exam_id, province_id=ep.id, site_id=site.id,
                                    status="submitted", submitted_at=t0 + timedelta(seconds=i * 97), snapshot=snap,
                                    city_code=site.city.code, cand_name=name, id_last4=number[-4:],
                                    active_key=f"{aid}:{ep.exam_id}", subjects=["初级会计实务"]))
        await Application.bulk_create(apps, batch_size=1000)
    finally:
        await db.close()


def reviewer_cookie(base: str) -> str:
    c = httpx.Client(base_url=base)
    token = re.search(r'name="csrf_token" value="(\w+)"', c.get("/review").text).group(1)
    c.get("/captcha.png")
    r = c.post("/review/login", data={"csrf_token": token, "username": "beijing", "password": "Shenhe2027",
                                      "captcha": "TEST"})
    assert r.status_code == 303, r.text[:300]
    return c.cookies.get("sid")


def wrk(name: str, path: str, cookie: str, *headers: str) -> None:
    """One reviewer, ten at once (a busy provincial office) and 50 (a stress figure: p99 is then the queue of
    requests in front, not the answer)."""
    args = ["-H", f"Cookie: sid={cookie}"]
    for h in headers:
        args += ["-H", h]
    url = f"http://127.0.0.1:{PORT}{path}"
    for conns in CONNECTIONS:
        subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", "-d2s", *args, url], capture_output=True)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{DURATION}", "--latency", *args,
                              url], capture_output=True, text=True).stdout
        keep = [line.strip() for line in out.splitlines()
                if re.search(r"Requests/sec|^\s+(50|99)%|Non-2xx|Socket", line)]
        print(f"== {name} ({path}), {conns} connections\n   " + "\n   ".join(keep), flush=True)


def approve_round_trip(base: str, cookie: str) -> None:
    """One POST, answered with the row (and the counts out of band): nothing else to fetch."""
    c = httpx.Client(base_url=base, cookies={"sid": cookie})
    page = c.get("/review").text
    token = re.search(r'name="csrf_token" value="(\w+)"', page).group(1)
    app_id = re.search(r'id="row-(\d+)"', page).group(1)
    requests = []
    c.event_hooks["request"] = [requests.append]
    t = time.perf_counter()
    r = c.post(f"/review/applications/{app_id}/decide", data={"csrf_token": token, "action": "approve"},
               headers={"HX-Request": "true", "HX-Target": f"row-{app_id}", "HX-Current-URL": f"{base}/review"})
    ms = (time.perf_counter() - t) * 1000
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<tr id="row-{app_id}"') and "审核通过" in r.text
    print(f"== approve: {len(requests)} request (POST {r.status_code}, {len(r.content)} bytes: the row and the "
          f"counts), {ms:.1f} ms", flush=True)


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="kjks-bench-review-")
    url = f"sqlite://{tmp}/bench.sqlite3"
    env = dict(os.environ, APP_ENV="test", DATABASE_URL=url, CAPTCHA_FIXED="TEST", UPLOAD_DIR=f"{tmp}/uploads")
    os.environ.update(env)
    subprocess.run([PY, "-m", "cli", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    t = time.perf_counter()
    asyncio.run(seed(url))
    print(f"seeded {COUNT} submitted applications in {time.perf_counter() - t:.1f} s", flush=True)
    server = subprocess.Popen(["taskset", "-c", "0", PY, "-m", "uvicorn", "--factory", "app:asgi", "--host",
                               "127.0.0.1", "--port", str(PORT), "--workers", "1", "--loop", "asyncio",
                               "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/help", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        cookie = reviewer_cookie(base)
        wrk("queue, first page", "/review", cookie)
        wrk("queue fragment, filtered (city + level, page 3)", "/review?status=submitted&city=110108&level=%E5%88%9D%E7%BA%A7&page=3",
            cookie, "HX-Request: true")
        wrk("queue fragment, search by ID last 4", "/review?q=0123", cookie, "HX-Request: true")
        approve_round_trip(base, cookie)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
