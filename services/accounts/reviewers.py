"""Reviewer accounts (审核人员 of a provincial or city exam office), created by maintainers: `python -m cli
reviewer add` and the demo data."""
from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models.accounts import Reviewer
from services.accounts import passwords


async def add_reviewer(username: str, province: str, city: str | None, password: str) -> bool:
    """Create a reviewer; returns False when the username exists (nothing is changed then)."""
    hashed = await passwords.hash_password(password)
    try:
        await Reviewer.create(username=username, province_code=province, city=city, password_hash=hashed)
    except IntegrityError:  # the username is taken (the unique constraint decides, also between two runs)
        return False
    return True
