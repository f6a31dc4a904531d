"""The fit recovers a BG/NBD process whose parameters are known (simulated data)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from analytics.clv import (
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    histories_from_purchases,
    probability_alive,
)
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
