"""Lifecycle stage suggestions from purchases: lead -> customer (first order) -> repeat
(second order) -> at risk -> lapsed.

"At risk" and "lapsed" are measured against the base's own rhythm: the gaps between
consecutive purchases of the same customer. A customer silent for longer than 80% of
those gaps is at risk; longer than 95% of them, lapsed (decided: past the 95th
percentile a further purchase would be rarer than one gap in twenty). Both are
settable in days, and with fewer than `MIN_INTERVALS` gaps to learn from the defaults
are 90 and 180 days.

Each refit stores the stage beside the customer's figures
(`customer_metrics.suggested_stage`); the customer's own `lifecycle_stage` is moved by
a purchase (crm_store/orders.py) and, for silence, by the stage job and each refit
(analytics/stages.py), all by these rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

__all__ = [
    "LifecycleThresholds",
    "purchase_intervals_days",
    "suggest_stage",
    "thresholds_from",
    "with_overrides",
]

AT_RISK_QUANTILE = 0.80
LAPSED_QUANTILE = 0.95
MIN_INTERVALS = 30
DEFAULT_AT_RISK_DAYS = 90.0
DEFAULT_LAPSED_DAYS = 180.0


@dataclass(frozen=True)
class LifecycleThresholds:
    at_risk_after_days: float
    lapsed_after_days: float
    learned_from_intervals: int  # 0: the defaults or set by hand

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_after_days < self.lapsed_after_days:
            raise ValueError("thresholds need 0 < at risk < lapsed (days)")


def purchase_intervals_days(purchases: Iterable[tuple[int, datetime, int]]) -> np.ndarray:
    """Days between consecutive purchase days of the same customer (same day: one)."""
    days: dict[int, set[int]] = {}
    for customer_id, placed_at, _ in purchases:
        days.setdefault(customer_id, set()).add(placed_at.date().toordinal())
    gaps = [np.diff(sorted(each)) for each in days.values() if len(each) > 1]
    return np.concatenate(gaps).astype(float) if gaps else np.zeros(0)


def thresholds_from(
    intervals_days: np.ndarray,
    *,
    at_risk_after_days: float | None = None,
    lapsed_after_days: float | None = None,
) -> LifecycleThresholds:
    """Thresholds learned from the base's purchase intervals, unless set."""
    learned = intervals_days.size >= MIN_INTERVALS
    at_risk = DEFAULT_AT_RISK_DAYS
    lapsed = DEFAULT_LAPSED_DAYS
    if learned:
        at_risk = float(np.quantile(intervals_days, AT_RISK_QUANTILE))
        lapsed = float(np.quantile(intervals_days, LAPSED_QUANTILE))
    found = LifecycleThresholds(at_risk, lapsed, int(intervals_days.size) if learned else 0)
    return with_overrides(found, at_risk_after_days, lapsed_after_days)


def with_overrides(
    t: LifecycleThresholds, at_risk_after_days: float | None, lapsed_after_days: float | None
) -> LifecycleThresholds:
    """`t` with the thresholds that are set replacing its own; lapsed stays at least a
    day after at risk (a learned lapsed below a set at-risk moves up)."""
    if at_risk_after_days is None and lapsed_after_days is None:
        return t
    at_risk = at_risk_after_days if at_risk_after_days is not None else t.at_risk_after_days
    lapsed = lapsed_after_days if lapsed_after_days is not None else t.lapsed_after_days
    return replace(t, at_risk_after_days=at_risk, lapsed_after_days=max(lapsed, at_risk + 1))


def suggest_stage(
    order_count: int, days_since_last: float | None, has_lead: bool, t: LifecycleThresholds
) -> str | None:
    """The stage these purchases suggest; None for someone with neither order nor lead."""
    if order_count == 0 or days_since_last is None:
        return "lead" if has_lead else None
    if days_since_last >= t.lapsed_after_days:
        return "lapsed"
    if days_since_last >= t.at_risk_after_days:
        return "at_risk"
    return "repeat" if order_count > 1 else "customer"
