"""Time in business hours between two instants: the part of the wait the team was open
for. The hours are the support team's (SUPPORT__*, bot/business_hours.py), handed in as
plain values so analytics never imports the bot."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["OpeningHours", "business_seconds"]


class OpeningHours(Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def opens(self) -> time: ...
    @property
    def closes(self) -> time: ...
    @property
    def weekdays(self) -> tuple[int, ...]: ...


def business_seconds(start: datetime, end: datetime, hours: OpeningHours) -> float:
    """Seconds between `start` and `end` that fall inside opening hours, walking the
    local days between them (daylight saving changes count as the clock on the wall
    says: each day's opening and closing are converted to UTC before subtracting)."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(hours.timezone)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if day.weekday() in hours.weekdays:
            opens = datetime.combine(day, hours.opens, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, hours.closes, tzinfo=zone).astimezone(UTC)
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            if overlap > 0:
                total += overlap
        day += timedelta(days=1)
    return total
