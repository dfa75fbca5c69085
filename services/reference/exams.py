"""Exam, province, city and site data that only the CLI changes, kept in the process for a few seconds.

Every wizard request needs them; reading them through the ORM cost more than the rest of the page. A re-seed
in this process clears the cache at once (services.seeding), one in another process (the CLI) is seen within
`ttl` seconds (plus the one refresh that notices it). Site places (`taken`) change with every submission and are always read fresh.
The cached objects are shared between requests: treat them as read-only.
"""
from __future__ import annotations

import asyncio
import time

from models.exams import Exam, ExamCity, ExamProvince, Site

ttl = 5.0  # seconds; 0 turns the cache off (the HTTP tests change exam rows directly)
reader = None  # the app's read-only SQLite connection (web.SqliteReader), set at start-up on SQLite
_cache: dict[tuple, tuple[float, object]] = {}


def clear() -> None:
    global _generation
    _generation += 1
    _cache.clear()
    _refreshing.clear()


_refreshing: set[tuple] = set()
_generation = 0  # bumped by clear(): a refresh that began before it must not write its old rows back


async def _cached(key: tuple, load):
    """The cached value; once stale, one background refresh while the stale value is still served.

    A request must never wait for the ORM here: under load aiosqlite's thread waits for the GIL behind the
    event loop, and every request that arrived at the moment of expiry would wait with it (p99 of seconds).
    """
    hit = _cache.get(key)
    t = time.monotonic()
    if hit is not None:
        if hit[0] <= t and key not in _refreshing:
            _refreshing.add(key)
            asyncio.get_running_loop().create_task(_refresh(key, load, _generation))
        return hit[1]
    generation = _generation
    value = await load()
    if ttl > 0 and generation == _generation:
        _cache[key] = (t + ttl, value)
    return value


async def _refresh(key: tuple, load, generation: int) -> None:
    try:
        value = await load()
    except Exception:  # the stale value stays; the next request after this one tries again
        if generation == _generation:
            _refreshing.discard(key)
        return
    if generation == _generation:
        _cache[key] = (time.monotonic() + ttl, value)
        _refreshing.discard(key)


async def exam(exam_id: int) -> Exam | None:
    return await _cached(("exam", exam_id), lambda: Exam.get_or_none(id=exam_id))


async def province(ep_id: int) -> ExamProvince | None:
    return await _cached(("province", ep_id), lambda: ExamProvince.get_or_none(id=ep_id))


async def cities(ep_id: int) -> list[ExamCity]:
    return await _cached(("cities", ep_id), lambda: ExamCity.filter(exam_province_id=ep_id).order_by("code"))


async def sites(ep_id: int, city_id: int | None) -> list[Site]:
    """The sites of one city of this province (none for a city of another province), with fresh places."""
    if not city_id:
        return []
    rows = await _cached(("sites", ep_id, city_id), lambda: Site.filter(
        city_id=city_id, city__exam_province_id=ep_id).order_by("id").values("id", "name", "address", "capacity"))
    if not rows:
        return []
    found = reader.rows('SELECT "id", "taken" FROM "site" WHERE "city_id" = ?', (city_id,)) if reader else None
    if found is None:
        taken = dict(await Site.filter(city_id=city_id).values_list("id", "taken"))
    else:
        taken = {r["id"]: r["taken"] for r in found}
    return [Site(**r, city_id=city_id, taken=taken.get(r["id"], 0)) for r in rows]


async def site_city(site_id: int) -> int | None:
    async def load():
        ids = await Site.filter(id=site_id).values_list("city_id", flat=True)
        return ids[0] if ids else None
    return await _cached(("site_city", site_id), load)
