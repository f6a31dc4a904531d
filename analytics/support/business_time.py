"""Time in business hours between two instants: the part of the wait the team was open
for. The hours are the support team's (SUPPORT__*, bot/business_hours.py), handed in as
plain values so analytics never imports the bot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["BusinessCalendar", "OpeningHours", "business_seconds"]


class OpeningHours(Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def opens(self) -> time: ...
    @property
    def closes(self) -> time: ...
    @property
    def weekdays(self) -> tuple[int, ...]: ...


class BusinessCalendar:
    """`seconds(start, end)` for many waits: each local day's opening and closing, in
    UTC, are worked out once (daylight saving changes count as the clock on the wall
    says) and kept, since a report's waits share their days."""

    def __init__(self, hours: OpeningHours) -> None:
        self._hours = hours
        self._zone = ZoneInfo(hours.timezone)
        self._days: dict[date, tuple[datetime, datetime] | None] = {}

    def _open(self, day: date) -> tuple[datetime, datetime] | None:
        if day not in self._days:
            hours = self._hours
            self._days[day] = (
                (
                    datetime.combine(day, hours.opens, tzinfo=self._zone).astimezone(UTC),
                    datetime.combine(day, hours.closes, tzinfo=self._zone).astimezone(UTC),
                )
                if day.weekday() in hours.weekdays
                else None
            )
        return self._days[day]

    def seconds(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = 0.0
        day = start.astimezone(self._zone).date()
        last = end.astimezone(self._zone).date()
        while day <= last:
            opening = self._open(day)
            if opening is not None:
                overlap = (min(opening[1], end) - max(opening[0], start)).total_seconds()
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total


def business_seconds(start: datetime, end: datetime, hours: OpeningHours) -> float:
    """Seconds between `start` and `end` that fall inside opening hours."""
    return BusinessCalendar(hours).seconds(start, end)
