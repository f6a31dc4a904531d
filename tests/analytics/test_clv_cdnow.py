"""The lifetime-value models reproduce the published CDNOW results (Fader, Hardie and Lee
2005; Fader and Hardie 2013): a correctness test of the likelihoods and the fit."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from analytics.clv import (
    bgnbd,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_lifetime_value,
    histories_from_purchases,
)
from analytics.clv.gamma_gamma import spend_frequency_correlation
from analytics.clv.histories import PurchaseHistories
from tests.support import cdnow

pytestmark = pytest.mark.skipif(
    not cdnow.DATASET.exists(), reason=f"CDNOW data set not found at {cdnow.DATASET}"
)


@pytest.fixture(scope="module")
def transactions() -> list[tuple[int, object, float]]:
    return cdnow.sample_transactions()


@pytest.fixture(scope="module")
def calibration(transactions: list) -> PurchaseHistories:
    return histories_from_purchases(transactions, end=cdnow.CALIBRATION_END)


def test_histories_from_the_raw_transactions_match_the_published_summary(
    calibration: PurchaseHistories,
) -> None:
    """Same-day purchases fold into one and times are in weeks, as in the papers: the
    2,357 rows equal the shipped summary (to its two decimals)."""
    published = cdnow.published_summary()
    ours = np.column_stack(
        [calibration.frequency, calibration.recency, calibration.age, calibration.mean_spend]
    )
    theirs = np.column_stack(
        [published.frequency, published.recency, published.age, published.mean_spend]
    )
    ours, theirs = (m[np.lexsort(m.T[::-1])] for m in (ours, theirs))
    assert len(calibration) == 2357
    assert calibration.frequency.sum() == 2457
    assert np.abs(ours - theirs).max() <= 0.0051


def test_bgnbd_reproduces_the_published_parameters(calibration: PurchaseHistories) -> None:
    model, found = fit_bgnbd(calibration)
    p = cdnow.PUBLISHED
    fitted = (model.r, model.alpha, model.a, model.b)
    for ours, theirs in zip(fitted, (p.r, p.alpha, p.a, p.b), strict=True):
        assert ours == pytest.approx(theirs, rel=0.01)
    assert found.log_likelihood == pytest.approx(p.log_likelihood, abs=0.1)
    assert found.converged and found.starts_reaching_best == found.starts


def test_gamma_gamma_reproduces_the_published_parameters(calibration: PurchaseHistories) -> None:
    model, _ = fit_gamma_gamma(calibration)
    p = cdnow.PUBLISHED
    assert model.p == pytest.approx(p.p, rel=0.01)
    assert model.q == pytest.approx(p.q, rel=0.01)
    assert model.gamma == pytest.approx(p.gamma, rel=0.01)
    # Fader and Hardie report a weak correlation (0.11) and accept the assumption.
    assert spend_frequency_correlation(calibration) == pytest.approx(0.11, abs=0.01)


def test_cumulative_repeat_purchases_of_weeks_40_to_78_within_5_percent(
    transactions: list, calibration: PurchaseHistories
) -> None:
    """The paper's tracking plot: the cohort's cumulative repeat purchases week by week
    (each customer's curve E[X(t)] from their first purchase), through the holdout."""
    model, _ = fit_bgnbd(calibration)
    first: dict[int, int] = {}
    repeat_days = set()
    for customer, day, _ in transactions:
        offset = (day - cdnow.START).days
        first[customer] = min(first.get(customer, offset), offset)
        repeat_days.add((customer, offset))
    repeats = np.array([d for c, d in repeat_days if d != first[c]])
    starts = np.array([first[c] for c in calibration.customer_ids])
    for week in range(40, 79):
        last_day = 7 * week - 1
        actual = np.sum(repeats <= last_day)
        forecast = bgnbd.expected_purchases_of_new_customer(model, (last_day - starts) / 7).sum()
        assert abs(forecast / actual - 1) < 0.05, (week, forecast, actual)


def test_conditional_forecast_tracks_each_customer(
    transactions: list, calibration: PurchaseHistories
) -> None:
    """Per customer, expected holdout purchases given the calibration history correlate
    with the actual ones as in the paper (0.626)."""
    model, _ = fit_bgnbd(calibration)
    holdout = cdnow.holdout_purchases(transactions)
    actual = np.array([holdout.get(int(c), 0) for c in calibration.customer_ids])
    expected = bgnbd.expected_purchases(model, calibration, cdnow.HOLDOUT_WEEKS)
    assert np.corrcoef(actual, expected)[0, 1] == pytest.approx(0.626, abs=0.005)


def test_the_fit_report_and_predictions(calibration: PurchaseHistories) -> None:
    fit = fit_lifetime_value(calibration, calibration_end=datetime(1997, 9, 30, tzinfo=UTC))
    report = fit.report.as_json()
    assert report["customers"] == 2357 and report["repeat_customers"] == 946
    assert all(check["passed"] for check in report["checks"]), report["checks"]
    values = fit.customers
    one_timers = calibration.frequency == 0
    # A one-time buyer cannot have dropped out in BG/NBD; a repeat buyer long silent has.
    assert np.all(values.probability_alive[one_timers] == 1.0)
    assert values.probability_alive.min() < 0.05
    assert np.all((values.value >= 0) & np.isfinite(values.value))
    # One-time buyers get the population mean spend p*gamma/(q-1).
    spend = fit.gamma_gamma
    assert spend is not None
    assert values.expected_spend[one_timers][0] == pytest.approx(spend.population_mean_spend)
