"""How long things took: the median and 90th percentile of a set of waits, in clock
time and in business hours, with a histogram of the clock times.

The waits arrive as integer microseconds since 1970 (analytics/support/cycles.py), so
clock seconds are exact, as `timedelta.total_seconds()` gives them. The quantiles are
numpy's linear interpolation, the same as PostgreSQL's `percentile_cont`; they are
taken here rather than in SQL because the business-hours time of each wait has to be
worked out here anyway (opening hours and their time zone are settings, not data), and
the same computation on both databases keeps their figures identical."""

from __future__ import annotations

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


def _quantiles(seconds: np.ndarray) -> dict[str, float | None]:
    if not len(seconds):
        return {"p50_seconds": None, "p90_seconds": None}
    p50, p90 = np.quantile(seconds.astype(float), [0.5, 0.9])
    return {"p50_seconds": round(float(p50), 1), "p90_seconds": round(float(p90), 1)}


def duration_figures(starts: np.ndarray, ends: np.ndarray, hours: OpeningHours) -> dict[str, Any]:
    """`starts` and `ends` (microseconds since 1970) of each cycle counted: the JSON the
    report shows."""
    clock = (ends - starts) / 1_000_000
    business = BusinessCalendar(hours).seconds_between(starts, ends)
    uppers = np.array([upper for upper, _ in BUCKETS])
    counts = np.bincount(np.searchsorted(uppers, clock, side="right"), minlength=len(BUCKETS))
    return {
        "cycles": len(starts),
        "clock": _quantiles(clock),
        "business": _quantiles(business),
        "histogram": [
            {"bucket": label, "cycles": int(count)}
            for (_, label), count in zip(BUCKETS, counts, strict=True)
        ],
    }
