"""The stretch of time and the channel a report covers, and the channels it never counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, Integer, case, cast, func, or_, select
from sqlalchemy.orm import Session

__all__ = [
    "LATE_EVENTS",
    "TRIAL_CHANNELS",
    "ReportPeriod",
    "as_day",
    "epoch_micros",
    "micro_arrays",
    "utc_day",
]

# A cycle started in the period is followed this long past its end, so a conversation
# started on the last day and resolved (or reopened) a few days later still counts.
LATE_EVENTS = timedelta(days=30)

# Channels whose conversations are people trying the bot, not customers asking for help:
# `switchboard chat` (channels/terminal) talks to the same engine and store from an
# operator's terminal. Counting those chats made a quiet week look busy and put whatever
# an operator tried into the bot's resolution, handoffs and unanswered questions, so no
# support figure counts them. Every query of analytics/support picks its rows with
# `ReportPeriod.within`, which leaves these out.
TRIAL_CHANNELS = ("terminal",)


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """UTC days `first` to `last`, both included; `channel` None for all channels but
    the `TRIAL_CHANNELS`."""

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

    def within(
        self, at: ColumnElement[datetime], channel: ColumnElement[str | None]
    ) -> list[ColumnElement[bool]]:
        """The conditions for a row the period counts: its time `at` in the period's
        days, its `channel` the period's (any when None) and never one of
        `TRIAL_CHANNELS`. A row with no channel (an event outside a conversation)
        counts as it always did."""
        found = [
            at >= self.since,
            at < self.until,
            or_(channel.is_(None), channel.not_in(TRIAL_CHANNELS)),
        ]
        if self.channel is not None:
            found.append(channel == self.channel)
        return found

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def utc_day(session: Session, column: ColumnElement[datetime]) -> ColumnElement[object]:
    """The UTC calendar day of a timestamp column, in SQL (PostgreSQL's `date()` would
    use the session's time zone; SQLite keeps UTC text already)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def epoch_micros(session: Session, column: ColumnElement[datetime]) -> ColumnElement[int]:
    """A timestamp column as whole microseconds since 1970 (UTC), exact on both
    databases, so durations and their comparisons are done on integers in SQL and come
    out as Python's `timedelta` arithmetic gives them. SQLite keeps the timestamp as
    'YYYY-MM-DD HH:MM:SS.ffffff' text (SQLAlchemy always writes the six digits)."""
    if session.get_bind().dialect.name == "postgresql":
        # date_part's double holds today's microseconds exactly (under 2**53), and is
        # several times cheaper per row than extract's numeric.
        return cast(func.round(func.date_part("epoch", column) * 1_000_000), BigInteger)
    # The seconds of the text without its fraction: SQLite reads fractions to the
    # millisecond, rounding xx.9996 up into the next second.
    whole = cast(func.strftime("%s", func.substr(column, 1, 19)), Integer) * 1_000_000
    return whole + cast(func.substr(column, 21, 6), Integer)


def micro_arrays(
    session: Session,
    columns: Sequence[tuple[ColumnElement[int], ColumnElement[bool]]],
    where: Sequence[ColumnElement[bool]],
) -> list[np.ndarray]:
    """Each (integer column, condition) as an int64 array of the rows matching `where`
    and its condition. On PostgreSQL one row of `array_agg ... FILTER` per column (the
    aggregates of one SELECT see the same rows in the same order, so the arrays of
    the same condition are aligned):
    tens of thousands of rows built one by one in Python cost several times the query
    (bench/support_reports.py). On SQLite (no arrays) the rows, filtered here."""
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(
            select(
                *(func.array_agg(column).filter(condition) for column, condition in columns)
            ).where(*where)
        ).one()
        return [np.array(values or [], dtype=np.int64) for values in found]
    rows = session.execute(
        select(*(case((condition, column)) for column, condition in columns)).where(*where)
    ).all()
    return [
        np.array([row[n] for row in rows if row[n] is not None], dtype=np.int64)
        for n in range(len(columns))
    ]


def as_day(value: object) -> date:
    """A day as either database returns it (a date, or SQLite's 'YYYY-MM-DD' text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
