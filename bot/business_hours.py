"""When a person will answer: the support team's hours, told to the customer at handoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def other_days(written: str) -> tuple[tuple[int, time, time], ...]:
    """ "sat 09:00-17:00, sun 10:00-14:00" -> ((5, 09:00, 17:00), (6, 10:00, 14:00)): a
    day's name (three letters or more of it, any case) and its hours, one entry a day; a
    clear error for anything else ("mon-fri" is not a day: the weekdays' hours are
    SUPPORT__OPENS and __CLOSES). A setting a support lead writes, so not JSON."""
    days: dict[int, tuple[time, time]] = {}
    for entry in filter(None, (part.strip() for part in written.split(","))):
        name, _, span = entry.partition(" ")
        day = _day(name.lower())
        if day is None:
            raise ValueError(f"{name!r} in {entry!r} is not a day (mon, tue, ... sun; one a day)")
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in span.split("-"))
        except ValueError:
            raise ValueError(
                f'{entry!r} is not a day and "HH:MM-HH:MM" (e.g. "sat 09:00-17:00")'
            ) from None
        if opens.tzinfo or closes.tzinfo:
            raise ValueError(f"{entry!r}: the hours are in SUPPORT__TIMEZONE")
        if closes <= opens:
            raise ValueError(
                f"{entry!r} does not open before it closes (hours run within one"
                " day; leave a closed day out)"
            )
        if day in days:
            raise ValueError(f"{_DAYS[day]} is named twice")
        days[day] = (opens, closes)
    return tuple((day, *span) for day, span in sorted(days.items()))


def _day(name: str) -> int | None:
    """0 (Monday) to 6 for three letters or more of a day's name."""
    if len(name) < 3:
        return None
    return next((n for n, day in enumerate(_DAYS) if day.lower().startswith(name)), None)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Open `opens`-`closes` local time on `weekdays` (0 = Monday) in `timezone`, and on
    each day of `other_days` (weekday, opens, closes) its own hours instead: a team open
    9 to 5 on Saturdays as well as 8 to 8 on weekdays."""

    timezone: str = "UTC"
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    reply_within_minutes: int = 30
    other_days: tuple[tuple[int, time, time], ...] = ()

    def span(self, weekday: int) -> tuple[time, time] | None:
        """The opening and closing time of `weekday` (0 = Monday); None: closed."""
        for day, opens, closes in self.other_days:
            if day == weekday:
                return opens, closes
        return (self.opens, self.closes) if weekday in self.weekdays else None

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        span = self.span(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, now: datetime) -> datetime:
        local = now.astimezone(ZoneInfo(self.timezone))
        for days in range(8):
            day = local.date() + timedelta(days=days)
            span = self.span(day.weekday())
            if span is None:
                continue
            opening = datetime.combine(day, span[0], tzinfo=local.tzinfo)
            if opening > local:
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
