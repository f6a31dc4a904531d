"""Purchase histories in the shape the lifetime-value models read: per customer, the
repeat purchases `frequency` (x), the time of the last one `recency` (t_x), the age
`age` (T) and the mean value of the repeat purchases `mean_spend` (z-bar).

Times are in weeks from each customer's first purchase, as in Fader, Hardie and Lee.
Purchases on the same day count as one (their values added), as in the CDNOW papers:
a basket split into two orders on one day is one visit, not a repeat purchase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray

__all__ = ["PurchaseHistories", "histories_from_purchases"]

DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class PurchaseHistories:
    """One row per customer, arrays of equal length (the customer ids in `customer_ids`)."""

    customer_ids: NDArray[np.int64]
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    mean_spend: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.customer_ids.size)

    @property
    def repeaters(self) -> NDArray[np.bool_]:
        return self.frequency > 0


def histories_from_purchases(
    purchases: Iterable[tuple[int, date | datetime, float]], *, end: date | datetime
) -> PurchaseHistories:
    """Build histories from (customer id, time of purchase, value) rows, counting the
    purchases up to `end` (inclusive); customers whose first purchase is after `end`
    are left out (they were not customers yet). `end` and the times are of one kind:
    all dates or all aware datetimes."""
    days: dict[int, dict[float, float]] = {}
    for customer_id, when, value in purchases:
        if when > end:
            continue
        day = _day_number(when)
        spent = days.setdefault(customer_id, {})
        spent[day] = spent.get(day, 0.0) + float(value)
    end_day = _day_number(end)
    ids = sorted(days)
    frequency = np.empty(len(ids))
    recency = np.empty(len(ids))
    age = np.empty(len(ids))
    mean_spend = np.empty(len(ids))
    for row, customer_id in enumerate(ids):
        visits = sorted(days[customer_id].items())
        first, last = visits[0][0], visits[-1][0]
        frequency[row] = len(visits) - 1
        recency[row] = (last - first) / DAYS_PER_WEEK
        age[row] = (end_day - first) / DAYS_PER_WEEK
        repeats = [value for _, value in visits[1:]]
        mean_spend[row] = sum(repeats) / len(repeats) if repeats else 0.0
    return PurchaseHistories(
        customer_ids=np.asarray(ids, dtype=np.int64),
        frequency=frequency,
        recency=recency,
        age=age,
        mean_spend=mean_spend,
    )


def _day_number(when: date | datetime) -> float:
    """Whole days since 0001-01-01 (a datetime counts by its UTC calendar day)."""
    if isinstance(when, datetime):
        when = when.date()
    return float(when.toordinal())
