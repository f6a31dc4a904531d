"""The fit recovers a BG/NBD process whose parameters are known (simulated data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from analytics.clv import (
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_lifetime_value,
    gamma_gamma,
    histories_from_purchases,
    probability_alive,
)
from analytics.clv.maximum_likelihood import maximise_log_likelihood
from analytics.errors import NotEnoughData
from tests.support.purchases import SimulatedBase, simulate_purchase_weeks


def test_fit_recovers_known_parameters_and_forecasts_the_next_year() -> None:
    truth = SimulatedBase()
    start, observed, ahead = date(2024, 1, 1), 52.0, 52.0
    weeks = simulate_purchase_weeks(truth, customers=4000, weeks=observed + ahead, seed=11)
    purchases = [
        (customer, start + timedelta(days=round(7 * t)), 10.0)
        for customer, times in enumerate(weeks)
        for t in times
    ]
    end = start + timedelta(weeks=observed)
    calibration = histories_from_purchases(purchases, end=end)
    model, _ = fit_bgnbd(calibration)
    for fitted, true in zip(
        (model.r, model.alpha, model.a, model.b),
        (truth.r, truth.alpha, truth.a, truth.b),
        strict=True,
    ):
        assert fitted == pytest.approx(true, rel=0.25)
    later = len({(c, d) for c, d, _ in purchases if d > end})
    forecast = expected_purchases(model, calibration, ahead).sum()
    assert forecast == pytest.approx(later, rel=0.10)
    alive = probability_alive(model, calibration)
    assert np.all((alive > 0) & (alive <= 1))


def test_the_spend_model_refuses_a_base_where_every_purchase_costs_the_same() -> None:
    start = date(2024, 1, 1)
    purchases = [(c, start + timedelta(days=d), 25.0) for c in range(30) for d in (0, 9, 30)]
    calibration = histories_from_purchases(purchases, end=start + timedelta(days=60))
    with pytest.raises(NotEnoughData, match="the same"):
        fit_gamma_gamma(calibration)


def test_spend_alike_across_customers_is_fitted_exactly_not_into_garbage() -> None:
    """Every purchase's value drawn from one gamma(4, 6) for all customers: nothing tells
    customers' spend apart, so q and gamma grow together along a flat ridge. The fit
    stays inside the searched range, its log-likelihood finite and exact, and its
    forecast right: p near 4 and the population mean near 24."""
    rng = np.random.default_rng(2)
    start = date(2024, 1, 1)
    weeks = simulate_purchase_weeks(SimulatedBase(), customers=1500, weeks=52, seed=5)
    purchases = [
        (c, start + timedelta(days=round(7 * t)), float(rng.gamma(4.0, 6.0)))
        for c, times in enumerate(weeks)
        for t in times
    ]
    histories = histories_from_purchases(purchases, end=start + timedelta(weeks=52))
    fit = fit_lifetime_value(histories, calibration_end=datetime(2024, 12, 30, tzinfo=UTC))
    spend, summary = fit.gamma_gamma, fit.report.gamma_gamma
    assert spend is not None and summary is not None
    assert spend.q > 50 and spend.gamma > 50 * 6
    assert spend.p == pytest.approx(4.0, rel=0.1)
    assert spend.population_mean_spend == pytest.approx(24.0, rel=0.05)
    assert summary.log_likelihood == pytest.approx(
        float(np.sum(gamma_gamma.log_likelihoods(spend, histories)))
    )
    # Nothing tells customers apart, and the report says so rather than FAILED: every
    # customer's expected spend is the mean repeat purchase, the ridge's own limit.
    assert all(check.passed for check in fit.report.checks), fit.report.checks
    (alike,) = [c for c in fit.report.checks if "differ in what they spend" in c.name]
    assert alike.detail.startswith("no (")
    repeat = histories.frequency > 0
    mean_purchase = np.sum(histories.frequency * histories.mean_spend) / np.sum(
        histories.frequency[repeat]
    )
    assert np.allclose(fit.customers.expected_spend, mean_purchase)


def test_customers_whose_spend_levels_differ_keep_their_own_forecast() -> None:
    """Each customer's purchases drawn around their own level: Gamma-Gamma is told
    apart from one level for all, and a big spender's forecast is above a small one's."""
    rng = np.random.default_rng(3)
    start = date(2024, 1, 1)
    weeks = simulate_purchase_weeks(SimulatedBase(), customers=1500, weeks=52, seed=6)
    levels = rng.gamma(3.0, 1.0 / 0.1, len(weeks))  # nu ~ gamma(q=3, gamma=10)
    purchases = [
        (c, start + timedelta(days=round(7 * t)), float(rng.gamma(4.0, 1.0 / levels[c])))
        for c, times in enumerate(weeks)
        for t in times
    ]
    histories = histories_from_purchases(purchases, end=start + timedelta(weeks=52))
    fit = fit_lifetime_value(histories, calibration_end=datetime(2024, 12, 30, tzinfo=UTC))
    names = [check.name for check in fit.report.checks]
    assert "spend model has a finite mean (q > 1)" in names
    assert not any("differ in what they spend" in name for name in names)
    assert np.ptp(fit.customers.expected_spend[histories.frequency > 0]) > 1.0


def test_a_parameter_running_off_to_infinity_is_reported_at_the_edge() -> None:
    def ever_higher_in_the_second(parameters: np.ndarray) -> float:
        return float(-((np.log(parameters[0]) - 1.0) ** 2) + np.log(parameters[1]))

    found = maximise_log_likelihood(ever_higher_in_the_second, [(1.0, 1.0), (5.0, 2.0)])
    assert found.parameters[0] == pytest.approx(np.e, rel=1e-3)
    assert found.parameters[1] == pytest.approx(1e6, rel=1e-3)
    assert found.at_edge == (1,)


def test_spend_that_grows_with_frequency_fails_the_independence_check() -> None:
    """Frequent buyers spend more per purchase: the Gamma-Gamma assumption fails, and
    the report says so (the figures are still stored, marked)."""
    rng = np.random.default_rng(8)
    start = date(2024, 1, 1)
    weeks = simulate_purchase_weeks(SimulatedBase(), customers=1500, weeks=52, seed=9)
    purchases = [
        (c, start + timedelta(days=round(7 * t)), float(rng.gamma(4.0, 2.0 * len(times))))
        for c, times in enumerate(weeks)
        for t in times
    ]
    histories = histories_from_purchases(purchases, end=start + timedelta(weeks=52))
    fit = fit_lifetime_value(histories, calibration_end=datetime(2024, 12, 30, tzinfo=UTC))
    (check,) = [c for c in fit.report.checks if c.name == "spend independent of frequency"]
    assert not check.passed and "assumption fails" in check.detail
    assert fit.report.spend_frequency_correlation > 0.3
