"""services.documents.sweep: crash leftovers (temp files, files no row refers to) removed; nothing a row refers to,
nothing younger than an hour and nothing else in the folder is ever touched (issue 11)."""
import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from models.applications import Application, Material
from models.profiles import Profile, RealnameRequest
from services import clock
from services.documents import sweep, uploads
from tests.factories import jpeg, make_app, pdf

ROOT = Path(__file__).resolve().parents[2]
OLD = timedelta(hours=2)


def put(settings, kind: str, ext: str = ".jpg", age: timedelta = OLD) -> str:
    """A stored file as an upload leaves it, `age` old."""
    name = uploads.store(settings.upload_dir, kind, pdf() if ext == ".pdf" else jpeg(), ext)
    aged(uploads.path_of(settings.upload_dir, name), age)
    return name


def aged(path: Path, age: timedelta) -> Path:
    at = (clock.now() - age).timestamp()
    os.utime(path, (at, at))
    return path


def temp(folder: Path, age: timedelta) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uploads.TEMP_PREFIX}k3j4h5g6.jpg"  # as tempfile.mkstemp names it
    path.write_bytes(b"half a file")
    return aged(path, age)


def left(settings) -> set[str]:
    root = Path(settings.upload_dir)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


async def test_the_sweep_removes_old_leftovers_and_keeps_whatever_a_row_refers_to(demo, settings):
    root = Path(settings.upload_dir)
    profile_photo, app_photo, pending = put(settings, "photo"), put(settings, "photo"), put(settings, "photo")
    material, in_snapshot_only = put(settings, "material", ".pdf"), put(settings, "material", ".pdf")
    a = await make_app(photo=app_photo, materials=[{"item": "学历证书", "stored": in_snapshot_only, "kind": "pdf"}],
                       pending_photo=pending)  # its 学历证书 was replaced after a reopening: the snapshot keeps it
    await Material.create(application=a, item="学历证书", stored=material, kind="pdf")
    await Profile.create(account_id=a.account_id, photo=profile_photo)
    images = [put(settings, "realname") for _ in range(3)]
    other = await make_app(name="别人", status="withdrawn")
    await RealnameRequest.create(account_id=other.account_id, province_code="11", city_code="110105", status="rejected",
                                 **dict(zip(("front", "back", "handheld"), images)))
    kept = {profile_photo, app_photo, pending, material, in_snapshot_only, *images}
    orphans = {put(settings, "photo"), put(settings, "material", ".pdf"), put(settings, "realname")}
    young = put(settings, "material", ".pdf", age=timedelta(minutes=50))  # its row may be about to commit
    old_temps = {temp(root / "material", OLD), temp(root, OLD)}
    young_temp = temp(root / "photo", timedelta(minutes=5))  # being written
    others = {root / "README.txt", root / "material" / "notes.txt"}
    for path in others:
        path.write_text("not an upload")
        aged(path, OLD)

    counts = await sweep.sweep(settings.upload_dir, clock.now())

    assert counts == {"temp": 2, "unreferenced": 3, "referenced": len(kept), "young": 2, "skipped": 0}
    remaining = left(settings)
    assert kept | {young} <= remaining and not orphans & remaining
    assert not any((root / str(p.relative_to(root))).exists() for p in old_temps) and young_temp.exists()
    assert all(p.exists() for p in others)
    # Nothing more to do the second time; an hour later the young ones are leftovers too.
    assert (await sweep.sweep(settings.upload_dir, clock.now()))["unreferenced"] == 0
    later = await sweep.sweep(settings.upload_dir, clock.now() + timedelta(hours=1))
    assert (later["temp"], later["unreferenced"]) == (1, 1) and young not in left(settings)
    assert await Application.filter(id=a.id, photo=app_photo, pending_photo=pending).exists()


async def test_a_database_without_any_reference_is_taken_for_the_wrong_one(clean_db, settings):
    # A mistyped DATABASE_URL (an empty database) must not empty the upload folder: only temp files go.
    names = {put(settings, "photo"), put(settings, "material", ".pdf")}
    temp(Path(settings.upload_dir) / "photo", OLD)
    counts = await sweep.sweep(settings.upload_dir, clock.now())
    assert (counts["temp"], counts["unreferenced"]) == (1, 0) and left(settings) == names | {sweep.LOCK_NAME}


async def test_sweeps_at_once_take_turns_and_remove_each_file_once(demo, settings):
    await make_app(photo=put(settings, "photo"))
    orphans = {put(settings, "material", ".pdf") for _ in range(5)}
    results = await asyncio.gather(*(sweep.sweep(settings.upload_dir, clock.now()) for _ in range(4)))
    assert sum(r["unreferenced"] for r in results) == 5
    assert sum(r["skipped"] for r in results) >= 1  # the others found the lock taken
    assert not orphans & left(settings)


async def test_the_periodic_sweep_keeps_running_through_a_failure(demo, settings, monkeypatch):
    await make_app(photo=put(settings, "photo"))
    orphan = put(settings, "material", ".pdf")
    real, calls = sweep.sweep, []

    async def flaky(upload_dir, now):
        calls.append(now)
        if len(calls) == 1:
            raise OSError("the database went away")
        return await real(upload_dir, now)

    monkeypatch.setattr(sweep, "sweep", flaky)
    job = asyncio.create_task(sweep.sweep_forever(settings.upload_dir, every_seconds=0.01))
    while len(calls) < 3:
        await asyncio.sleep(0.01)
    job.cancel()
    assert orphan not in left(settings)


async def test_the_cli_sweeps_once(clean_db, settings, tmp_path):
    uploads_dir = tmp_path / "uploads"
    leftover = temp(uploads_dir / "photo", OLD)
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": settings.database_url, "UPLOAD_DIR": str(uploads_dir)}
    done = subprocess.run([sys.executable, "-m", "cli", "sweep"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "清理完成：删除临时文件 1 个、无记录引用的文件 0 个" in done.stdout and not leftover.exists()
