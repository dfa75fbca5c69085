"""For the office: the notifications of one application with each SMS attempt (the reviewers' detail)."""
from __future__ import annotations

from models.notifications import Notification


async def of_application(app_id: int) -> list[Notification]:
    """Oldest first, each with `.attempts` fetched."""
    return await Notification.filter(application_id=app_id).order_by("id").prefetch_related("attempts")
