"""Exam reference data: exams, provinces, cities and sites as the maintainers seeded them.

Only `python -m cli seed` changes these rows, and every wizard and board request reads them: reading them
through the ORM each time cost more than the rest of a page. `ReferenceData` keeps them in the process for
at most `max_age` seconds (REFERENCE_MAX_AGE, 5 by default). One instance per process, created in the
app's lifespan (app.state.reference) and handed to whoever needs it.

- A re-seed in this process (services.reference.seeding with `reference=`) clears it at once; a re-seed
  by the CLI in another process is seen within `max_age` seconds plus the one refresh that notices it.
- Site places (`taken`) change with every submission: they are always read fresh.
- A stale entry is refreshed in the background while the stale copy is still served: a request never
  waits for the ORM here (under load aiosqlite's thread waits for the GIL behind the event loop, and every
  request arriving at expiry would wait with it).
- The cached objects are shared between requests: treat them as read-only.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from db.reads import Reads
from models.exams import Exam, ExamCity, ExamProvince, Site


class ReferenceData:
    def __init__(self, reads: Reads, max_age: float = 5.0):
        self.reads = reads
        self.max_age = max_age
        self._cache: dict[tuple, tuple[float, object]] = {}
        self._refreshing: dict[tuple, asyncio.Task] = {}
        self._generation = 0  # bumped by clear(): a refresh begun before it must not write its old rows back

    def clear(self) -> None:
        """Forget everything (after a re-seed): the next read loads the rows again."""
        self._generation += 1
        self._cache.clear()
        self._refreshing.clear()

    async def close(self) -> None:
        tasks = list(self._refreshing.values())
        self.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def remember(self, key: tuple, load: Callable[[], Awaitable]):
        """`load()`'s value, kept like the rest: for anything derived from reference data alone (the
        reviewers' scope, for one). Once stale, refreshed in the background while the stale value is served."""
        hit = self._cache.get(key)
        t = time.monotonic()
        if hit is not None:
            if hit[0] <= t and key not in self._refreshing:
                self._refreshing[key] = asyncio.get_running_loop().create_task(
                    self._refresh(key, load, self._generation))
            return hit[1]
        generation = self._generation
        value = await load()
        if self.max_age > 0 and generation == self._generation:
            self._cache[key] = (t + self.max_age, value)
        return value

    async def _refresh(self, key: tuple, load, generation: int) -> None:
        try:
            value = await load()
        except Exception:  # the stale value stays; the next request after this one tries again
            if generation == self._generation:
                self._refreshing.pop(key, None)
            return
        if generation == self._generation:
            self._cache[key] = (time.monotonic() + self.max_age, value)
            self._refreshing.pop(key, None)

    # ------------------------------------------------------------------ the rows

    async def exam(self, exam_id: int) -> Exam | None:
        return await self.remember(("exam", exam_id), lambda: Exam.get_or_none(id=exam_id))

    async def province(self, ep_id: int) -> ExamProvince | None:
        return await self.remember(("province", ep_id), lambda: ExamProvince.get_or_none(id=ep_id))

    async def cities(self, ep_id: int) -> list[ExamCity]:
        return await self.remember(("cities", ep_id),
                                   lambda: ExamCity.filter(exam_province_id=ep_id).order_by("code"))

    async def sites(self, ep_id: int, city_id: int | None) -> list[Site]:
        """The sites of one city of this province (none for a city of another province), with fresh places."""
        if not city_id:
            return []
        rows = await self.remember(("sites", ep_id, city_id), lambda: Site.filter(
            city_id=city_id, city__exam_province_id=ep_id).order_by("id").values("id", "name", "address", "capacity"))
        if not rows:
            return []
        taken = {r["id"]: r["taken"] for r in await self.reads.columns(Site, ("id", "taken"), city_id=city_id)}
        return [Site(**r, city_id=city_id, taken=taken.get(r["id"], 0)) for r in rows]

    async def site_city(self, site_id: int) -> int | None:
        async def load():
            ids = await Site.filter(id=site_id).values_list("city_id", flat=True)
            return ids[0] if ids else None
        return await self.remember(("site_city", site_id), load)
