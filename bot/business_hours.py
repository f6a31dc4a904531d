"""When a person will answer: the support team's hours, told to the customer at handoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Open `opens`-`closes` local time on `weekdays` (0 = Monday) in `timezone`."""

    timezone: str = "UTC"
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    reply_within_minutes: int = 30

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.weekdays and self.opens <= local.time() < self.closes

    def next_opening(self, now: datetime) -> datetime:
        local = now.astimezone(ZoneInfo(self.timezone))
        for days in range(8):
            day = local.date() + timedelta(days=days)
            opening = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if day.weekday() in self.weekdays and opening > local:
                return opening
        raise ValueError("business hours have no open weekday")

    def availability(self, now: datetime) -> str:
        """One sentence for the customer: how soon a person will reply."""
        if self.is_open(now):
            return (
                f"A person from our team will reply here, usually within "
                f"{self.reply_within_minutes} minutes."
            )
        try:
            opening = self.next_opening(now)
        except ValueError:  # no open weekday at all (SUPPORT__WEEKDAYS=[]): no time to name
            return "Our team is away right now; a person will reply here as soon as they can."
        local_now = now.astimezone(ZoneInfo(self.timezone))
        if opening.date() == local_now.date():
            when = f"today at {opening:%H:%M}"
        elif opening.date() == local_now.date() + timedelta(days=1):
            when = f"tomorrow at {opening:%H:%M}"
        else:
            when = f"{_DAYS[opening.weekday()]} at {opening:%H:%M}"
        return (
            f"Our team is away right now; a person will reply here when we open, "
            f"{when} {zone_name(opening)}."
        )


def zone_name(moment: datetime) -> str:
    """The zone as people write it after a time: its abbreviation (EST, CET, UTC), or the
    offset where it has none but digits (America/Sao_Paulo's "-03": "UTC-03:00"). The
    zone's key, "America/New_York", is no name a customer reads."""
    abbreviation = moment.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    offset = moment.utcoffset() or timedelta()
    sign, minutes = ("-" if offset < timedelta() else "+"), abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
