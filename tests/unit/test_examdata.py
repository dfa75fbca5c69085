"""The in-process cache of exam data: hits within its time, a re-seed is seen at once, places always fresh."""
from pathlib import Path

import pytest

from models.exams import ExamProvince, Site
from services import examdata, seeding
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
