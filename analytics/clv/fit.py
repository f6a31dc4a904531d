"""Fit both lifetime-value models on purchase histories and predict per customer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from analytics.clv.bgnbd import BgNbd, expected_purchases, fit_bgnbd, probability_alive
from analytics.clv.common_spend import DIFFERENCE_CRITICAL_VALUE, fit_common_spend
from analytics.clv.gamma_gamma import (
    GammaGamma,
    expected_average_spend,
    fit_gamma_gamma,
    spend_frequency_correlation,
)
from analytics.clv.histories import PurchaseHistories
from analytics.clv.report import Check, ClvFitReport, ModelFitSummary
from analytics.clv.value import ValueHorizon, lifetime_value
from analytics.errors import NotEnoughData

__all__ = ["CustomerValues", "LifetimeValueFit", "fit_lifetime_value"]

# Below these the four BG/NBD parameters are not identified well enough to be worth it.
MIN_CUSTOMERS = 20
MIN_REPEATERS = 5
# Gamma-Gamma assumes spend independent of frequency. Fader and Hardie accept CDNOW's
# 0.11; we call the assumption failed from a moderate correlation (|r| >= 0.3) on,
# where the spend forecast of frequent buyers is biased enough to matter.
INDEPENDENCE_LIMIT = 0.3


@dataclass(frozen=True)
class CustomerValues:
    """Per customer (aligned with `customer_ids`): the model's predictions."""

    customer_ids: NDArray[np.int64]
    probability_alive: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]  # in the next `horizon.weeks` weeks
    expected_spend: NDArray[np.float64]  # per purchase, in the purchases' unit
    value: NDArray[np.float64]  # discounted, over the horizon


@dataclass(frozen=True)
class LifetimeValueFit:
    bgnbd: BgNbd
    gamma_gamma: GammaGamma | None
    report: ClvFitReport
    customers: CustomerValues


def fit_lifetime_value(
    histories: PurchaseHistories,
    *,
    calibration_end: datetime,
    horizon: ValueHorizon | None = None,
    fallback_spend: float | None = None,
) -> LifetimeValueFit:
    """Fit BG/NBD and Gamma-Gamma on `histories` and predict every customer.

    When Gamma-Gamma cannot be fitted (too few repeat customers) each customer's
    expected spend is `fallback_spend` (say, the mean order value), and the report
    says so. Raises NotEnoughData when BG/NBD itself cannot be fitted.
    """
    horizon = horizon or ValueHorizon()
    repeaters = int(np.sum(histories.frequency > 0))
    if len(histories) < MIN_CUSTOMERS or repeaters < MIN_REPEATERS:
        raise NotEnoughData(
            f"{len(histories)} customers, {repeaters} with a repeat purchase; the purchase "
            f"model needs at least {MIN_CUSTOMERS} and {MIN_REPEATERS}"
        )
    started = time.perf_counter()
    purchases_model, purchases_found = fit_bgnbd(histories)
    bgnbd_summary = ModelFitSummary.of(
        ("r", "alpha", "a", "b"), purchases_found, time.perf_counter() - started
    )
    checks = [
        Check("purchase model converged", purchases_found.converged, purchases_found.message),
        _starts_agree("purchase model", bgnbd_summary),
        _inside_range("purchase model", bgnbd_summary),
    ]
    notes: list[str] = []
    correlation = spend_frequency_correlation(histories)
    spend_model: GammaGamma | None = None
    spend_summary: ModelFitSummary | None = None
    try:
        started = time.perf_counter()
        spend_model, spend_found = fit_gamma_gamma(histories)
        spend_summary = ModelFitSummary.of(
            ("p", "q", "gamma"), spend_found, time.perf_counter() - started
        )
        common = fit_common_spend(histories)
        difference = 2 * (spend_found.log_likelihood - common.log_likelihood)
        if difference < DIFFERENCE_CRITICAL_VALUE:
            # Decided: not a failure. Customers whose spend levels do not differ send
            # Gamma-Gamma along its ridge (to the edge of the range, or not, by chance
            # of the data), and its limit there is this very answer: the mean purchase
            # value for everyone (analytics/clv/common_spend.py).
            spend = np.full(len(histories), common.mean_spend)
            checks.append(_alike(difference, common.mean_spend))
        else:
            spend = expected_average_spend(spend_model, histories)
            checks += [
                Check("spend model converged", spend_found.converged, spend_found.message),
                _starts_agree("spend model", spend_summary),
                _inside_range("spend model", spend_summary),
                Check(
                    "spend model has a finite mean (q > 1)",
                    spend_model.q > 1,
                    f"q = {spend_model.q:.3f}",
                ),
            ]
    except NotEnoughData as exc:
        if fallback_spend is None:
            raise
        spend = np.full(len(histories), fallback_spend)
        notes.append(
            f"spend model not fitted ({exc}); every customer's spend is the mean order value"
        )
    checks.append(_independence(correlation))
    values = CustomerValues(
        customer_ids=histories.customer_ids,
        probability_alive=probability_alive(purchases_model, histories),
        expected_purchases=expected_purchases(purchases_model, histories, float(horizon.weeks)),
        expected_spend=spend,
        value=lifetime_value(purchases_model, histories, spend, horizon),
    )
    report = ClvFitReport(
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        calibration_end=calibration_end.isoformat(timespec="seconds"),
        customers=len(histories),
        repeat_customers=repeaters,
        repeat_purchases=int(histories.frequency.sum()),
        bgnbd=bgnbd_summary,
        gamma_gamma=spend_summary,
        spend_frequency_correlation=correlation,
        horizon={
            "weeks": horizon.weeks,
            "annual_discount_rate": horizon.annual_discount_rate,
            "margin": horizon.margin,
        },
        checks=checks,
        notes=notes,
    )
    return LifetimeValueFit(purchases_model, spend_model, report, values)


def _starts_agree(name: str, fit: ModelFitSummary) -> Check:
    return Check(
        f"{name}: the starting points agree",
        fit.starts_reaching_best == fit.starts,
        f"{fit.starts_reaching_best} of {fit.starts} starts reached the best log-likelihood",
    )


def _inside_range(name: str, fit: ModelFitSummary) -> Check:
    if not fit.at_edge:
        return Check(f"{name}: parameters identified", True, "none at the edge of the range")
    return Check(
        f"{name}: parameters identified",
        False,
        f"{', '.join(fit.at_edge)} stopped at the edge of the searched range (1e-6..1e6): "
        "the data do not pin it down (for spend: customers do not differ in what they "
        "spend; for purchases: they do not differ in how often they buy)",
    )


def _alike(difference: float, mean_spend: float) -> Check:
    return Check(
        "spend model: customers differ in what they spend per purchase",
        True,
        f"no (likelihood ratio {max(difference, 0.0):.2f} against one spend level for all, below "
        f"{DIFFERENCE_CRITICAL_VALUE}): every customer's expected spend is the mean "
        f"purchase value, {mean_spend:,.2f}; Gamma-Gamma's parameters are not used",
    )


def _independence(correlation: float) -> Check:
    if not np.isfinite(correlation):
        return Check("spend independent of frequency", True, "too few repeat customers to measure")
    passed = abs(correlation) < INDEPENDENCE_LIMIT
    detail = f"correlation of spend and frequency among repeat customers {correlation:.3f}"
    if not passed:
        detail += (
            f" (|r| >= {INDEPENDENCE_LIMIT}): the Gamma-Gamma assumption fails; expected "
            "spend of frequent buyers is biased"
        )
    return Check("spend independent of frequency", passed, detail)
