"""The upload folder's sweep: what a crash (kill -9, power loss) can leave behind, removed.

Files follow rows (uploads.store_then): a file is written, then the row that refers to it commits, and a file a
change dropped is deleted after that change committed. A process killed between two of those steps leaves

- a temp file (`.tmp-*`, uploads.TEMP_PREFIX): killed while `store` was writing, before the rename;
- an unreferenced file: killed after the file was stored and before its row committed, or after a change that
  dropped a file committed and before the file was deleted.

`sweep(upload_dir, now)` removes both kinds once they are older than `MIN_AGE` (an hour), and nothing else:

- temp files older than an hour (no row ever names a temp file: rows get the final name only);
- stored files (names `store` could have chosen, uploads.is_stored_name) older than an hour that no row
  refers to. The references are: 证件照 of 信息采集 (Profile.photo), the application's photo and pending photo,
  its 证明材料 (Material.stored), the snapshot of every submitted application (Snapshot.files: the photo and
  materials as submitted, kept after a reopening changes the draft), and the three 实名认证 images of every
  request (RealnameRequest.front/back/handheld), whatever the state of the row;
- anything else in the folder (other names, other folders, the lock file) is never touched.

Why it is safe while uploads happen:

- a file is written before its row commits, so a young file may be about to be referred to: a file younger than
  an hour is never removed (a change waits seconds for its locks, never an hour). The folder is listed before the
  rows are read, so a file taken as a candidate was already an hour old when the reading began;
- references move only within one application's rows (the material or the photo into the snapshot at 提交, the
  pending photo to the photo at 使用此照片). Each batch of applications is read with its materials in one
  statement (a join), so a reference that moves while the sweep reads is seen on one side or the other, never
  missed on both. No change makes a row refer to an existing file of another row (信息采集's photo is copied
  into a new file for the application), and the other references (信息采集, 实名认证) only ever name new files;
- a database in which no row refers to any file at all while old files are there is taken to be the wrong
  database (a mistyped DATABASE_URL), not a platform without uploads: nothing but temp files is removed then;
  a snapshot that cannot be read stops the round the same way (the error is logged by sweep_forever).

Why it is safe in several processes at once: removing a file is idempotent (a file already gone is no error), and
each process decides from the same rule. An advisory lock (`.sweep.lock` in the folder, flock) lets one process
sweep at a time; another that finds it taken skips its round (`skipped` in the counts).

`sweep_forever(upload_dir, every_seconds)` runs it periodically (the app's lifespan starts it); `python -m cli
sweep` runs it once.
"""
from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import random
from datetime import datetime, timedelta
from pathlib import Path

import anyio.to_thread

from models.applications import Application
from models.profiles import Profile, RealnameRequest
from models.snapshot import Snapshot
from services import clock, metrics
from services.documents import uploads

log = logging.getLogger("kjks.sweep")
MIN_AGE = timedelta(hours=1)
SWEEP_EVERY = 3600  # seconds between runs (sweep_forever's default)
BATCH = 500  # rows per read
LOCK_NAME = ".sweep.lock"


def _listing(upload_dir: Path, cutoff: float) -> tuple[list[Path], set[str], int]:
    """(temp files older than the cutoff, stored names older than it, how many younger files were kept)."""
    temp, old, young = [], set(), 0
    folders = [(upload_dir, "")]
    with os.scandir(upload_dir) as entries:
        folders += [(Path(e.path), e.name + "/") for e in entries if e.is_dir(follow_symlinks=False)]
    for folder, prefix in folders:
        with os.scandir(folder) as entries:
            for entry in entries:
                is_temp = entry.name.startswith(uploads.TEMP_PREFIX)
                if not entry.is_file(follow_symlinks=False) or not (
                        is_temp or uploads.is_stored_name(prefix + entry.name)):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                    young += 1
                elif is_temp:
                    temp.append(Path(entry.path))
                else:
                    old.add(prefix + entry.name)
    return temp, old, young


def _remove(paths: list[Path]) -> int:
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:  # another process removed it first
            pass
    return removed


async def _batches(query, key: str, *columns: str):
    """Rows of `query` as tuples (key, *columns), BATCH at a time in key order."""
    last = None
    while True:
        page = query.filter(**{f"{key}__gt": last}) if last is not None else query
        rows = await page.order_by(key).limit(BATCH).values_list(key, *columns)
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _snapshot_files(value) -> set[str]:
    if not value:
        return set()
    return Snapshot.from_json(json.loads(value) if isinstance(value, str) else value).files


async def referenced(names: set[str]) -> set[str]:
    """Those of `names` that some row refers to (see the module's docstring for the list)."""
    found: set[str] = set()

    def see(*values) -> None:
        found.update(v for v in values if v in names)

    async for rows in _batches(Profile.filter(photo__isnull=False), "account_id", "photo"):
        for _, photo in rows:
            see(photo)
    async for rows in _batches(RealnameRequest.all(), "id", "front", "back", "handheld"):
        for _, *images in rows:
            see(*images)
    async for rows in _batches(Application.all(), "id"):
        # One statement for the batch's applications and their materials: consistent across both tables.
        joined = await Application.filter(id__gte=rows[0][0], id__lte=rows[-1][0]).values_list(
            "photo", "pending_photo", "snapshot", "material_files__stored")
        for photo, pending, snapshot, material in joined:
            see(photo, pending, material, *_snapshot_files(snapshot))
    return found


async def sweep(upload_dir, now: datetime) -> dict[str, int]:
    """One sweep (see the module's docstring). Returns the counts: temp and unreferenced files removed, files kept
    because a row refers to them or because they are younger than MIN_AGE, and skipped (1 when another process
    was sweeping)."""
    counts = {"temp": 0, "unreferenced": 0, "referenced": 0, "young": 0, "skipped": 0}
    upload_dir = Path(upload_dir)
    if not upload_dir.is_dir():
        return counts
    lock = os.open(upload_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            counts["skipped"] = 1
            return counts
        cutoff = (now - MIN_AGE).timestamp()
        temp, old, counts["young"] = await anyio.to_thread.run_sync(_listing, upload_dir, cutoff)
        counts["temp"] = await anyio.to_thread.run_sync(_remove, temp)
        if not old:
            return counts
        kept = await referenced(old)
        counts["referenced"] = len(kept)
        if not kept:
            log.warning("no row refers to any of %d stored files: is this the right database? nothing removed",
                        len(old))
            return counts
        unreferenced = [uploads.path_of(upload_dir, name) for name in sorted(old - kept)]
        counts["unreferenced"] = await anyio.to_thread.run_sync(_remove, unreferenced)
        return counts
    finally:
        os.close(lock)  # releases the flock


async def sweep_forever(upload_dir, every_seconds: float = SWEEP_EVERY) -> None:
    """The periodic sweep (for the app's lifespan): every `every_seconds`, a little randomised so that processes
    started together spread out; a failure is logged and the next round runs as usual."""
    while True:
        try:
            counts = await sweep(upload_dir, clock.now())
            if counts["temp"] or counts["unreferenced"]:
                log.info("swept %d temp and %d unreferenced files", counts["temp"], counts["unreferenced"])
            metrics.job("sweep", ok=True)
        except Exception:  # keep the loop alive through a database hiccup
            log.exception("sweeping the upload folder failed")
            metrics.job("sweep", ok=False)
        await asyncio.sleep(every_seconds * random.uniform(0.8, 1.2))
