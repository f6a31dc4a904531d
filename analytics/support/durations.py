"""How long things took: the median and 90th percentile of a set of waits, in clock
time and in business hours, with a histogram of the clock times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from analytics.support.business_time import BusinessCalendar, OpeningHours

__all__ = ["BUCKETS", "duration_figures"]

# Histogram buckets (upper bound in seconds, label); the last one is open-ended.
BUCKETS: tuple[tuple[float, str], ...] = (
    (60, "< 1 min"),
    (300, "1-5 min"),
    (900, "5-15 min"),
    (3600, "15-60 min"),
    (4 * 3600, "1-4 h"),
    (24 * 3600, "4-24 h"),
    (float("inf"), "> 24 h"),
)


def _quantiles(seconds: Sequence[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50_seconds": None, "p90_seconds": None}
    p50, p90 = np.quantile(np.asarray(seconds, dtype=float), [0.5, 0.9])
    return {"p50_seconds": round(float(p50), 1), "p90_seconds": round(float(p90), 1)}


def duration_figures(
    spans: Sequence[tuple[datetime, datetime]], hours: OpeningHours
) -> dict[str, Any]:
    """`spans` are (start, end) of each cycle counted: the JSON the report shows."""
    clock = [(end - start).total_seconds() for start, end in spans]
    calendar = BusinessCalendar(hours)
    business = [calendar.seconds(start, end) for start, end in spans]
    counts = [0] * len(BUCKETS)
    for seconds in clock:
        counts[next(n for n, (upper, _) in enumerate(BUCKETS) if seconds < upper)] += 1
    return {
        "cycles": len(spans),
        "clock": _quantiles(clock),
        "business": _quantiles(business),
        "histogram": [
            {"bucket": label, "cycles": count}
            for (_, label), count in zip(BUCKETS, counts, strict=True)
        ],
    }
