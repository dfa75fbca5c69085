"""The candidate's 消息: the list, opening one (it is read from then on), and the switch for the optional
reminders (the header's unread count is read with the session: db/reads.py, web/sessions.py). Every read is the
account's own: another candidate's message is not found."""
from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from models.notifications import Notification, NotificationSetting

PAGE = 100


async def messages_of(reads, account_id: int, limit: int = PAGE) -> list[Notification]:
    """Newest first (db.reads: the home page shows the latest on every visit, and the ORM's query cost more
    than the rest of the page)."""
    return await reads.find(Notification, order=("-created_at", "-id"), limit=limit, account_id=account_id)


async def open_message(account_id: int, message_id: int, now: datetime) -> tuple[Notification | None, bool]:
    """The account's message `message_id` (None if it is not this account's), marked read once (the first
    opening's time is kept), and whether this opening marked it."""
    row = await Notification.get_or_none(id=message_id, account_id=account_id)
    marked = False
    if row is not None and row.read_at is None:
        marked = bool(await Notification.filter(id=row.id, read_at=None).update(read_at=now))
        row.read_at = row.read_at or now
    return row, marked


async def reminders_off(account_id: int) -> bool:
    return await NotificationSetting.exists(account_id=account_id, reminders_off=True)


async def set_reminders(account_id: int, off: bool, now: datetime) -> None:
    """Switch the optional reminders (缴费即将截止, 准考证可打印) off or on; a review's outcome is always told."""
    if await NotificationSetting.filter(account_id=account_id).update(reminders_off=off, updated_at=now):
        return
    try:
        await NotificationSetting.create(account_id=account_id, reminders_off=off, updated_at=now)
    except IntegrityError:  # another request created it a moment ago: this choice is the later one
        await NotificationSetting.filter(account_id=account_id).update(reminders_off=off, updated_at=now)
