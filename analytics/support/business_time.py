"""Time in business hours between two instants: the part of the wait the team was open
for. The hours are the support team's (SUPPORT__*, bot/business_hours.py), handed in as
plain values so analytics never imports the bot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["BusinessCalendar", "OpeningHours", "business_seconds"]


class OpeningHours(Protocol):
    @property
    def timezone(self) -> str: ...
    def span(self, weekday: int) -> tuple[time, time] | None:
        """A day's (0 = Monday) opening and closing time; None: closed."""
        ...


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
            span = self._hours.span(day.weekday())
            self._days[day] = (
                (
                    datetime.combine(day, span[0], tzinfo=self._zone).astimezone(UTC),
                    datetime.combine(day, span[1], tzinfo=self._zone).astimezone(UTC),
                )
                if span is not None
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

    def seconds_between(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """`seconds` of many waits at once, for integer microseconds since 1970 (UTC).

        Each is the business time open by its end less the business time open by its
        start, both counted from the first local day of the waits: per day, what opened
        before it plus the part of its own opening hours passed. That is `seconds`'
        sum of overlaps, on integers, without a Python loop per wait (a 90-day report
        has tens of thousands)."""
        if not len(starts):
            return np.zeros(0)
        first = datetime.fromtimestamp(int(starts.min()) // 1_000_000, UTC)
        last = datetime.fromtimestamp(int(ends.max()) // 1_000_000, UTC)
        day = first.astimezone(self._zone).date()
        days = [
            day + timedelta(days=n)
            for n in range((last.astimezone(self._zone).date() - day).days + 2)
        ]
        midnights = np.array(
            [_micros(datetime.combine(d, time(0), tzinfo=self._zone)) for d in days]
        )
        opens = np.zeros(len(days), dtype=np.int64)
        lengths = np.zeros(len(days), dtype=np.int64)
        for n, d in enumerate(days):
            opening = self._open(d)
            if opening is not None:
                opens[n] = _micros(opening[0])
                lengths[n] = max(0, _micros(opening[1]) - opens[n])
        before = np.concatenate(([0], np.cumsum(lengths)[:-1]))

        def open_by(instants: np.ndarray) -> np.ndarray:
            n = np.searchsorted(midnights, instants, side="right") - 1
            return before[n] + np.clip(instants - opens[n], 0, lengths[n])

        return np.where(ends > starts, open_by(ends) - open_by(starts), 0) / 1_000_000


def _micros(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def business_seconds(start: datetime, end: datetime, hours: OpeningHours) -> float:
    """Seconds between `start` and `end` that fall inside opening hours."""
    return BusinessCalendar(hours).seconds(start, end)
