"""The stretch of time and the channel a report covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = ["LATE_EVENTS", "ReportPeriod"]

# A cycle started in the period is followed this long past its end, so a conversation
# started on the last day and resolved (or reopened) a few days later still counts.
LATE_EVENTS = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """UTC days `first` to `last`, both included; `channel` None for all channels."""

    first: date
    last: date
    channel: str | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The instant the period ends (exclusive): midnight after its last day."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def followed_until(self) -> datetime:
        return self.until + LATE_EVENTS

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]
