"""The dashboard's customer figures against a plain count from the orders, on SQLite and
PostgreSQL: date ranges that end after the refit (answered from customer_metrics alone)
and before it (where the orders are read), and the value distribution's quantiles and
histogram (SQL on PostgreSQL, numpy on SQLite) against numpy."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import update

from analytics.dashboard import (
    VALUE_BUCKETS,
    DashboardFilter,
    rfm_grid,
    value_distribution,
    value_horizon_weeks,
)
from analytics.model_fits import LIFETIME_VALUE, store_fit
from analytics.refit import refit_customers
from crm_store import Database
from crm_store.models import CustomerMetrics
from tests.support.purchases import add_buyer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def buyers(database: Database) -> dict[int, list[datetime]]:
    """40 buyers with 1-4 purchases over two years (one cancelled order each for some)."""
    rng = random.Random(3)
    found: dict[int, list[datetime]] = {}
    with database.transaction() as session:
        for _ in range(40):
            days = [NOW - timedelta(days=rng.uniform(0, 730)) for _ in range(rng.randint(1, 4))]
            customer_id = add_buyer(session, [(day, 1_000) for day in days])
            found[customer_id] = days
            if rng.random() < 0.3:
                add_buyer(session, [(NOW - timedelta(days=1), 9_999)], status="cancelled")
    refit_customers(database, now=NOW)
    return found


# (first day, last day) in days before the refit; None: open. The first two end after
# the refit (customer_metrics alone answers), the next three before it (orders read).
RANGES = [(89, 0), (89, -5), (400, 200), (30, 29), (None, 100), (500, None)]


def test_a_range_counts_the_customers_who_bought_in_it(
    database: Database, buyers: dict[int, list[datetime]]
) -> None:
    today = NOW.date()
    for start_days_ago, end_days_ago in RANGES:
        start = today - timedelta(days=start_days_ago) if start_days_ago is not None else None
        end = today - timedelta(days=end_days_ago) if end_days_ago is not None else None

        def in_range(day: datetime, start: date | None = start, end: date | None = end) -> bool:
            return (start is None or day.date() >= start) and (end is None or day.date() <= end)

        expected = sum(1 for days in buyers.values() if any(in_range(day) for day in days))
        with database.transaction() as session:
            cells = rfm_grid(session, DashboardFilter(start, end))
        assert sum(c["customers"] for c in cells) == expected, (start, end)


def test_the_value_distribution_matches_numpy(
    database: Database, buyers: dict[int, list[datetime]]
) -> None:
    rng = np.random.default_rng(5)
    values = {customer_id: float(rng.lognormal(9, 1)) for customer_id in buyers}
    with database.transaction() as session:
        for customer_id, value in values.items():
            session.execute(
                update(CustomerMetrics)
                .where(CustomerMetrics.customer_id == customer_id)
                .values(lifetime_value_cents=value)
            )
    since = date(2025, 12, 3)  # 180 days before NOW
    chosen = np.array(
        [
            values[c]
            for c, days in buyers.items()
            if max(days).date() >= since  # the last purchase is in the range
        ]
    )
    with database.transaction() as session:
        found = value_distribution(session, DashboardFilter(since, NOW.date()))
    width = np.percentile(chosen, 99) / VALUE_BUCKETS
    counts = np.bincount(
        np.minimum((chosen // width).astype(int), VALUE_BUCKETS - 1), minlength=VALUE_BUCKETS
    )
    assert found["customers"] == chosen.size
    assert found["total_cents"] == round(chosen.sum())
    assert found["median_cents"] == round(float(np.median(chosen)))
    assert found["p90_cents"] == round(float(np.percentile(chosen, 90)))
    assert [b["customers"] for b in found["buckets"]] == counts.tolist()
    assert found["buckets"][-1]["high_cents"] is None
    assert found["buckets"][1]["low_cents"] == round(width)


def test_the_value_horizon_is_the_last_lifetime_value_fits(database: Database) -> None:
    """The page names the period of the predicted values from this, not a fixed 52."""
    with database.transaction() as session:
        assert value_horizon_weeks(session) is None  # never fitted: no period to name
        store_fit(session, LIFETIME_VALUE, {"horizon": {"weeks": 52}}, NOW - timedelta(days=1))
        store_fit(session, LIFETIME_VALUE, {"horizon": {"weeks": 26}}, NOW)
    with database.transaction() as session:
        assert value_horizon_weeks(session) == 26
