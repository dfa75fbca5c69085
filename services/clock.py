"""Time: stored and compared in UTC, shown and reasoned about in China time (Asia/Shanghai, UTC+8, no DST).

The one definition of the China timezone. Exam windows, dates typed by candidates ("not later than
today"), order numbers and every time a page shows are China time; the database holds UTC.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

CN = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date in China."""
    return datetime.now(CN).date()


def china_date(moment: datetime) -> date:
    return moment.astimezone(CN).date()


def china_midnight(day: date) -> datetime:
    """The start of a China calendar day, as an aware datetime (compare it with stored UTC times)."""
    return datetime.combine(day, time(), CN)


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time as China time text ("" for none): the templates' `local` filter."""
    return moment.astimezone(CN).strftime(fmt) if moment else ""
