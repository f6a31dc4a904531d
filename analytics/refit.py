"""One refit of the customer figures: read the store's purchases, learn the lifecycle
thresholds, fit the lifetime-value models, and write `customer_metrics`, the fit report
and the refit's own record (`model_fits`: its thresholds, which the stage job uses
until the next refit) in one transaction; then move every customer whose lifecycle
stage is out of date (analytics/stages.py).

Money: the store keeps cents; the spend model is fitted in the currency's main unit
(cents / 100, so its scale parameter starts near the optimiser's starting points) and
the stored predictions are in cents again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from analytics.clv.fit import fit_lifetime_value
from analytics.clv.histories import histories_from_purchases
from analytics.clv.value import ValueHorizon
from analytics.customer_metrics import compute_metrics, segment_sizes, write_metrics
from analytics.errors import NotEnoughData
from analytics.lifecycle import LifecycleThresholds, purchase_intervals_days, thresholds_from
from analytics.model_fits import CUSTOMER_METRICS, LIFETIME_VALUE, store_fit
from analytics.purchases import purchase_rows, purchases_per_customer
from analytics.stages import apply_stages
from crm_store import Database
from crm_store.base import utcnow

__all__ = ["CustomerRefit", "RefitSettings", "refit_customers"]

CENTS = 100.0


@dataclass(frozen=True)
class RefitSettings:
    horizon: ValueHorizon = field(default_factory=ValueHorizon)
    at_risk_after_days: float | None = None  # None: learned from the purchase intervals
    lapsed_after_days: float | None = None


@dataclass(frozen=True)
class CustomerRefit:
    customers: int
    thresholds: LifecycleThresholds
    segment_sizes: dict[str, int]
    fit_id: int | None
    report: dict[str, Any] | None
    not_fitted: str | None  # why there is no lifetime-value fit this time
    stages_moved: int = 0  # customers whose lifecycle stage this refit changed


def refit_customers(
    database: Database, *, now: datetime | None = None, settings: RefitSettings | None = None
) -> CustomerRefit:
    now = now or utcnow()
    settings = settings or RefitSettings()
    with database.transaction() as session:
        customers = purchases_per_customer(session)
        rows = purchase_rows(session)
    thresholds = thresholds_from(
        purchase_intervals_days(rows),
        at_risk_after_days=settings.at_risk_after_days,
        lapsed_after_days=settings.lapsed_after_days,
    )
    histories = histories_from_purchases(((c, t, cents / CENTS) for c, t, cents in rows), end=now)
    mean_order = sum(cents for *_, cents in rows) / len(rows) / CENTS if rows else 0.0
    report: dict[str, Any] | None = None
    values = None
    not_fitted = None
    try:
        fit = fit_lifetime_value(
            histories, calibration_end=now, horizon=settings.horizon, fallback_spend=mean_order
        )
    except NotEnoughData as exc:
        not_fitted = str(exc)
    else:
        values = replace(
            fit.customers,
            expected_spend=fit.customers.expected_spend * CENTS,
            value=fit.customers.value * CENTS,
        )
        report = fit.report.as_json() | {
            "money": "spend parameters in the currency's main unit (cents / 100)",
            "lifecycle": _lifecycle_json(thresholds),
            # Predictions that came out NaN or infinite are not stored (customer_metrics.py).
            "customers_without_value": int((~np.isfinite(values.value)).sum()),
        }
    with database.transaction() as session:
        fit_id = store_fit(session, LIFETIME_VALUE, report, now) if report is not None else None
        write_metrics(
            session,
            compute_metrics(
                customers, now=now, thresholds=thresholds, values=values, model_fit_id=fit_id
            ),
        )
        sizes = segment_sizes(session)
        record = {
            "computed_at": now.isoformat(),
            "customers": len(customers),
            "lifetime_value_fit_id": fit_id,
            "lifecycle": _lifecycle_json(thresholds),
        }
        store_fit(session, CUSTOMER_METRICS, record, now)
    moved = apply_stages(database.transaction, thresholds, now)
    return CustomerRefit(len(customers), thresholds, sizes, fit_id, report, not_fitted, moved)


def _lifecycle_json(thresholds: LifecycleThresholds) -> dict[str, Any]:
    return {
        "at_risk_after_days": thresholds.at_risk_after_days,
        "lapsed_after_days": thresholds.lapsed_after_days,
        "learned_from_intervals": thresholds.learned_from_intervals,
    }
