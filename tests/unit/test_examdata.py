"""The in-process cache of exam data: hits within its time, a re-seed is seen at once, places always fresh."""
from pathlib import Path

import pytest

from models.exams import ExamProvince, Site
from services.reference import exams as examdata, seeding
from web import now

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo.toml"


@pytest.fixture
def cached():
    examdata.clear()
    examdata.ttl = 60
    yield
    examdata.ttl = 0
    examdata.clear()


async def test_cached_rows_are_reused_until_a_reseed_clears_them(cached):
    await seeding.seed(DEMO, now().date())
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    first = await examdata.province(ep.id)
    await ExamProvince.filter(id=ep.id).update(department="改过的受理部门")
    assert (await examdata.province(ep.id)) is first  # within the time: the cached row
    await seeding.seed(DEMO, now().date())  # a re-seed restores the file's value and clears the cache
    again = await examdata.province(ep.id)
    assert again is not first and again.department == first.department


async def test_site_places_are_read_fresh_and_other_provinces_cities_give_nothing(cached):
    await seeding.seed(DEMO, now().date())
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    city = (await examdata.cities(ep.id))[0]
    site = (await examdata.sites(ep.id, city.id))[0]
    await Site.filter(id=site.id).update(taken=site.capacity)
    assert (await examdata.sites(ep.id, city.id))[0].taken == site.capacity
    other = await ExamProvince.get(province_code="31", exam__code="demo-chuji")
    assert await examdata.sites(other.id, city.id) == []


async def test_a_refresh_that_began_before_a_reseed_does_not_write_old_rows_back(cached):
    import asyncio
    await seeding.seed(DEMO, now().date())
    ep = await ExamProvince.get(province_code="11", exam__code="demo-chuji")
    old = await examdata.province(ep.id)
    examdata._cache[("province", ep.id)] = (0, old)  # expired: the next read starts a background refresh
    release = asyncio.Event()

    async def slow_load():
        await release.wait()
        return old

    assert await examdata._cached(("province", ep.id), slow_load) is old  # stale served, refresh pending
    examdata.clear()  # a re-seed meanwhile
    fresh = await examdata.province(ep.id)
    release.set()
    await asyncio.sleep(0.01)  # the old refresh finishes now
    assert (await examdata.province(ep.id)) is fresh
