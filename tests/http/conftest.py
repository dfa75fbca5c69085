"""HTTP tests: every one starts from empty tables."""
import pytest


@pytest.fixture(autouse=True)
async def _empty_database(clean_db):
    yield
