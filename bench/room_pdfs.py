"""Time the room lists of one 报名点 of a province of 20,000 paid candidates: every room's 考场签到表 and 门贴 for
every 场次 (what the office prints for one site), read and drawn as the board's downloads do.

    .venv/bin/python bench/room_pdfs.py [N]        (N paid candidates, default 20000; target: under 5 s)

A throwaway SQLite file: bench/journey.toml's province (浙江, five sites) with 140 rooms of 30 seats a site,
N paid applications spread over the sites by bulk insert, each with its own photo file (300 distinct JPEGs of
the size the wizard stores), then 考场编排 (services.arrangement) and the site with most candidates printed:
services.arrangement.reads.room_sheets per room, then room_pdf.build_signin and build_door per 场次.
"""
from __future__ import annotations

import asyncio
import io
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂䶮"
PHOTOS = 300


def id_photo(seed: int) -> bytes:
    """A 295×413 JPEG of some 20-30 KB, like the 报名信息填写 step's."""
    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", (295, 413), (90 + seed % 100, 140, 210))
    for _ in range(4000):
        img.putpixel((rng.randrange(295), rng.randrange(413)), (rng.randrange(256), 120, rng.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


async def seed(n: int, upload_dir: Path) -> None:
    from models.accounts import Account
    from models.applications import Application
    from models.exams import ExamProvince, Site
    from services.accounts.idnumbers import check_digit
    from services.documents import uploads

    ep = await ExamProvince.get(province_code="33", exam__code="bench-chuji").select_related("exam")
    sites = await Site.filter(city__exam_province=ep).select_related("city").order_by("id")
    photos = [uploads.store(upload_dir, "photo", id_photo(i), ".jpg") for i in range(PHOTOS)]
    rnd = random.Random(7)
    t0 = datetime.now(timezone.utc) - timedelta(days=14)
    accounts = []
    for i in range(n):
        first17 = f"3301051990{i:07d}"
        accounts.append(Account(id_type="mainland", id_number=first17 + check_digit(first17),
                                name=rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                                phone=f"135{i:08d}", password_hash="x", realname_at=t0))
    await Account.bulk_create(accounts, batch_size=1000)
    rows = await Account.filter(phone__startswith="135").order_by("id").values_list("id", "id_number", "name")
    subjects = list(ep.exam.subjects)
    apps = []
    for i, (aid, number, name) in enumerate(rows):
        site = sites[i % len(sites)]
        photo = photos[i % PHOTOS]
        snap = {"exam": {"name": ep.exam.name, "level": ep.exam.level, "year": ep.exam.year},
                "province": {"code": "33", "name": "浙江"}, "city": site.city.name,
                "site": {"name": site.name, "address": site.address}, "subjects": subjects, "fee_fen": 10000,
                "condition": {"code": "chuji_high_school", "label": "高中"},
                "candidate": {"name": name, "id_type": "mainland", "id_number": number, "phone": f"135{i:08d}"},
                "photo": photo, "personal": {}, "materials": [], "review_mode": "manual"}
        apps.append(Application(account_id=aid, exam_id=ep.exam_id, province_id=ep.id, site_id=site.id,
                                status="paid", submitted_at=t0, paid_at=t0 + timedelta(days=1), snapshot=snap,
                                city_code=site.city.code, cand_name=name, id_last4=number[-4:], photo=photo,
                                active_key=f"{aid}:{ep.exam_id}", subjects=subjects))
    await Application.bulk_create(apps, batch_size=1000)


async def run(n: int, upload_dir: Path) -> None:
    from models.exams import ExamProvince
    from services import arrangement, clock
    from services.arrangement import reads
    from services.documents import form_pdf, room_lists, room_pdf

    t = time.perf_counter()
    await seed(n, upload_dir)
    print(f"seeded {n} paid applications in {time.perf_counter() - t:.1f} s", flush=True)
    ep = await ExamProvince.get(province_code="33", exam__code="bench-chuji").select_related("exam")
    t = time.perf_counter()
    out = await arrangement.arrange(ep, "bench", clock.now(), force=True)
    assert out.ok, out.message
    print(f"考场编排: {time.perf_counter() - t:.1f} s — {out.message}", flush=True)

    rooms = [r for r in await reads.rooms_of(ep.id) if r.seated]
    by_site: dict[int, list] = {}
    for r in rooms:
        by_site.setdefault(r.site_id, []).append(r)
    site_rooms = max(by_site.values(), key=lambda rs: sum(r.seated for r in rs))
    form_pdf.register_fonts()  # once per process, at start-up in the app (app.py's lifespan)

    t0 = time.perf_counter()
    read_s = draw_s = 0.0
    sheets = pages = size = candidates = 0
    for room in site_rooms:
        t = time.perf_counter()
        found = await reads.room_sheets(room.room_id)
        sheets_of_room = [room_lists.sheet_of(ep.exam.name, s, upload_dir) for s in found]
        read_s += time.perf_counter() - t
        t = time.perf_counter()
        for sheet in sheets_of_room:
            signin, door = room_pdf.build_signin(sheet), room_pdf.build_door(sheet)
            size += len(signin) + len(door)
            pages += signin.count(b"/Type /Page\n") + 1
            sheets += 1
            candidates += len(sheet.candidates)
        draw_s += time.perf_counter() - t
    total = time.perf_counter() - t0
    print(f"room lists of {site_rooms[0].site_name}: {len(site_rooms)} rooms, {sheets} room-sessions, "
          f"{candidates} seats, {sheets} 签到表 + {sheets} 门贴 ({size / 1e6:.1f} MB)", flush=True)
    print(f"  {total:.2f} s in all (target < 5 s): reads {read_s:.2f} s, drawing {draw_s:.2f} s, "
          f"{draw_s / max(sheets, 1) * 1000:.1f} ms per room-session", flush=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    tmp = Path(tempfile.mkdtemp(prefix="kjks-bench-rooms-"))
    toml = (ROOT / "bench/journey.toml").read_text(encoding="utf-8").replace("rooms = 20", "rooms = 140")
    (tmp / "exams.toml").write_text(toml, encoding="utf-8")
    url = f"sqlite://{tmp}/bench.sqlite3"
    os.environ.update(APP_ENV="test", DATABASE_URL=url, UPLOAD_DIR=str(tmp / "uploads"))
    import subprocess

    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "cli", "seed", str(tmp / "exams.toml")], cwd=ROOT, env=env, check=True,
                   capture_output=True)

    async def go():
        import db

        await db.init(url)
        try:
            await run(n, tmp / "uploads")
        finally:
            await db.close()

    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        cProfile.runctx("asyncio.run(go())", globals(), locals(), "/tmp/room_pdfs.prof")
        pstats.Stats("/tmp/room_pdfs.prof").sort_stats("tottime").print_stats(25)
    else:
        asyncio.run(go())


if __name__ == "__main__":
    main()
