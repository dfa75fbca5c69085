"""The process's exam reference data (services.reference.exams.ReferenceData): hits within its max age, a
re-seed in this process is seen at once, site places are always fresh."""
import asyncio
from pathlib import Path

import pytest

from db.reads import Reads
from models.exams import ExamProvince, Site
from services import clock
from services.reference import seeding
from services.reference.exams import ReferenceData

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo.toml"


@pytest.fixture
async def reference(clean_db, settings):
    reads = Reads(settings.database_url)
    cache = ReferenceData(reads, max_age=60)
    yield cache
    await cache.close()
    reads.close()


async def test_cached_rows_are_reused_until_a_reseed_clears_them(reference):
    await seeding.seed(DEMO, clock.today(), reference)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    first = await reference.province(ep.id)
    await ExamProvince.filter(id=ep.id).update(department="改过的受理部门")
    assert (await reference.province(ep.id)) is first  # within the time: the cached row
    await seeding.seed(DEMO, clock.today(), reference)  # a re-seed restores the file's value and clears the cache
    again = await reference.province(ep.id)
    assert again is not first and again.department == first.department


async def test_a_stale_entry_is_served_while_one_background_refresh_loads_the_new_rows(reference):
    await seeding.seed(DEMO, clock.today(), reference)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    reference.max_age = 0.05
    old = await reference.province(ep.id)
    await ExamProvince.filter(id=ep.id).update(department="改过的受理部门")
    await asyncio.sleep(0.06)
    assert (await reference.province(ep.id)) is old  # stale: served at once, one refresh starts
    assert len(reference._refreshing) == 1
    for _ in range(100):
        await asyncio.sleep(0.01)
        if not reference._refreshing:
            break
    assert (await reference.province(ep.id)).department == "改过的受理部门"


async def test_site_places_are_read_fresh_and_other_provinces_cities_give_nothing(reference):
    await seeding.seed(DEMO, clock.today(), reference)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    city = (await reference.cities(ep.id))[0]
    site = (await reference.sites(ep.id, city.id))[0]
    await Site.filter(id=site.id).update(taken=site.capacity)
    assert (await reference.sites(ep.id, city.id))[0].taken == site.capacity
    other = await ExamProvince.get(province_code="31", exam__code="demo-chuji")
    assert await reference.sites(other.id, city.id) == []


async def test_a_refresh_that_began_before_a_reseed_does_not_write_old_rows_back(reference):
    await seeding.seed(DEMO, clock.today(), reference)
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    old = await reference.province(ep.id)
    reference._cache[("province", ep.id)] = (0, old)  # expired: the next read starts a background refresh
    release = asyncio.Event()

    async def slow_load():
        await release.wait()
        return old

    assert await reference.remember(("province", ep.id), slow_load) is old  # stale served, refresh pending
    reference.clear()  # a re-seed meanwhile
    fresh = await reference.province(ep.id)
    release.set()
    await asyncio.sleep(0.01)  # the old refresh finishes now
    assert (await reference.province(ep.id)) is fresh
