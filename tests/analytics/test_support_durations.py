"""Business hours of many waits at once (numpy, on integer microseconds) are the sum of
overlaps `BusinessCalendar.seconds` gives one wait at a time, across weekends and a
daylight saving change; and timestamps become microseconds exactly in SQL on both
databases (SQLite reads fractions only to the millisecond)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import numpy as np
from sqlalchemy import literal, select

from analytics.support.business_time import BusinessCalendar
from analytics.support.period import epoch_micros
from crm_store import Database
from crm_store.base import UTCDateTime
from tests.support.support_week import office_hours

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def test_many_waits_at_once_are_each_wait_on_its_own() -> None:
    hours = office_hours(timezone="Europe/Berlin", opens=time(8, 30), closes=time(17))
    calendar = BusinessCalendar(hours)
    rng = random.Random(7)
    # Around the spring change (29 March 2026 in Berlin), some ending before they start.
    base = datetime(2026, 3, 20, tzinfo=UTC)
    spans = []
    for _ in range(400):
        start = base + timedelta(seconds=rng.uniform(0, 20 * 86400))
        spans.append((start, start + timedelta(seconds=rng.uniform(-3600, 5 * 86400))))
    starts = np.array([_micros(start) for start, _ in spans], dtype=np.int64)
    ends = np.array([_micros(end) for _, end in spans], dtype=np.int64)
    together = calendar.seconds_between(starts, ends)
    one_by_one = [calendar.seconds(start, end) for start, end in spans]
    assert np.allclose(together, one_by_one, rtol=0, atol=1e-6)
    assert 0 < sum(one_by_one) < sum(max(0, (e - s).total_seconds()) for s, e in spans)


def test_timestamps_are_whole_microseconds_in_sql(database: Database) -> None:
    instants = [
        datetime(2026, 3, 2, 10, 0, 59, 999_600, tzinfo=UTC),  # rounds up on SQLite's ms
        datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ]
    with database.transaction() as session:
        found = [
            session.scalar(select(epoch_micros(session, literal(when, UTCDateTime()))))
            for when in instants
        ]
    assert found == [_micros(when) for when in instants]
