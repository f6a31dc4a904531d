"""A refit over the store, on SQLite and PostgreSQL: purchases, RFM, stages, segments and
lifetime value land in `customer_metrics`, the fit report in `model_fits`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from analytics.clv.fit import CustomerValues
from analytics.clv.value import ValueHorizon
from analytics.customer_metrics import compute_metrics
from analytics.lifecycle import thresholds_from
from analytics.model_fits import LIFETIME_VALUE, latest_fit
from analytics.purchases import CustomerPurchases
from analytics.refit import RefitSettings, refit_customers
from crm_store import Database
from crm_store.models import CustomerMetrics
from tests.support.purchases import SimulatedBase, add_buyer, simulate_purchase_weeks

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def metrics_of(database: Database, customer_id: int) -> CustomerMetrics:
    with database.transaction() as session:
        row = session.scalars(
            select(CustomerMetrics).where(CustomerMetrics.customer_id == customer_id)
        ).one()
        session.expunge(row)
        return row


def test_purchase_figures_rfm_stage_and_segment(database: Database) -> None:
    day = timedelta(days=1)
    with database.transaction() as session:
        loyal = add_buyer(session, [(NOW - d * day, 9_000) for d in (3, 30, 60, 90, 120)])
        newcomer = add_buyer(session, [(NOW - 2 * day, 1_500)], lead=True)
        faded = add_buyer(session, [(NOW - d * day, 2_000) for d in (400, 430, 460)])
        one_off_long_ago = add_buyer(session, [(NOW - 500 * day, 800)])
        cancelled = add_buyer(session, [(NOW - 5 * day, 5_000)], status="cancelled", lead=True)
        pending = add_buyer(session, [(NOW - 5 * day, 5_000)], pending=True)
        ordinary = [  # a few ordinary buyers so the quintiles have a base
            add_buyer(session, [(NOW - (150 + 20 * i) * day, 3_000 + 100 * i)]) for i in range(6)
        ]
    outcome = refit_customers(
        database, now=NOW, settings=RefitSettings(at_risk_after_days=100, lapsed_after_days=300)
    )
    assert outcome.not_fitted is not None  # 12 buyers: too few for the purchase model
    assert outcome.fit_id is None and outcome.customers == 11  # the pending contact is out

    row = metrics_of(database, loyal)
    assert (row.order_count, row.lifetime_spend_cents) == (5, 45_000)
    assert row.first_purchase_at == NOW - 120 * day and row.last_purchase_at == NOW - 3 * day
    assert row.recency_days == pytest.approx(3.0)
    assert (row.recency_score, row.frequency_score, row.monetary_score) == (5, 5, 5)
    assert (row.suggested_stage, row.segment) == ("repeat", "champions")
    assert row.lifetime_value_cents is None  # no fit, no prediction

    row = metrics_of(database, newcomer)
    assert (row.suggested_stage, row.segment, row.frequency_score) == ("customer", "new", 1)
    assert metrics_of(database, faded).suggested_stage == "lapsed"
    assert metrics_of(database, faded).segment == "at_risk"
    assert metrics_of(database, one_off_long_ago).segment == "hibernating"
    row = metrics_of(database, cancelled)  # a cancelled order is no purchase
    assert (row.order_count, row.recency_score, row.suggested_stage) == (0, None, "lead")
    with database.transaction() as session:
        assert (
            session.scalars(
                select(CustomerMetrics).where(CustomerMetrics.customer_id == pending)
            ).all()
            == []
        )
    # Recency is scored against this base, so the ordinary one-order buyers at 150 and
    # 170 days are in its newest two fifths (R 4); but they are silent past the at-risk
    # threshold (100 days), their stage at_risk or lapsed, so they are hibernating, not
    # new: a segment never says "recent" of a buyer the stage calls silent.
    assert [metrics_of(database, c).recency_score for c in ordinary[:2]] == [4, 4]
    assert {metrics_of(database, c).segment for c in ordinary} == {"hibernating"}
    assert outcome.segment_sizes == {"champions": 1, "new": 1, "at_risk": 1, "hibernating": 7}


def test_refit_stores_the_lifetime_value_fit_and_each_customer_s_value(database: Database) -> None:
    weeks = simulate_purchase_weeks(SimulatedBase(), customers=300, weeks=60, seed=3)
    start = NOW - timedelta(weeks=60)
    prices = iter(np.random.default_rng(5).gamma(4.0, 625.0, 5_000).round())
    with database.transaction() as session:
        ids = [
            add_buyer(session, [(start + timedelta(weeks=t), int(next(prices))) for t in times])
            for times in weeks
        ]
    first = refit_customers(
        database, now=NOW, settings=RefitSettings(horizon=ValueHorizon(weeks=26))
    )
    assert first.not_fitted is None and first.fit_id is not None
    with database.transaction() as session:
        stored = latest_fit(session, LIFETIME_VALUE)
    assert stored is not None and stored.id == first.fit_id
    report = stored.report
    assert report["customers"] == 300 and report["horizon"]["weeks"] == 26
    assert set(report["bgnbd"]["parameters"]) == {"r", "alpha", "a", "b"}
    assert report["lifecycle"]["learned_from_intervals"] > 30
    # Purchases average 25.00 (gamma-distributed): the spend model predicts about that
    # for a customer without repeat purchases (the population mean).
    assert report["gamma_gamma"] is not None
    with database.transaction() as session:
        one_timer = session.scalars(
            select(CustomerMetrics).where(CustomerMetrics.order_count == 1).limit(1)
        ).one()
        assert one_timer.expected_spend_cents == pytest.approx(2_500, rel=0.15)
    row = metrics_of(database, ids[0])
    assert row.model_fit_id == first.fit_id
    assert 0 < row.probability_alive <= 1 and row.lifetime_value_cents >= 0

    second = refit_customers(database, now=NOW + timedelta(days=7))
    with database.transaction() as session:
        assert latest_fit(session, LIFETIME_VALUE).id == second.fit_id  # type: ignore[union-attr]
        rows = session.scalars(select(CustomerMetrics)).all()
    assert len(rows) == 300 and {r.model_fit_id for r in rows} == {second.fit_id}


def test_a_prediction_that_is_not_a_number_is_not_stored() -> None:
    """A model fitted at the edge of its range can overflow; a NaN value would make every
    sum and quantile of the dashboard NaN, so such a customer gets no prediction."""
    bought = [
        CustomerPurchases(i, 2, 5_000, NOW - timedelta(days=90), NOW - timedelta(days=9), False)
        for i in (1, 2)
    ]
    values = CustomerValues(
        customer_ids=np.array([1, 2]),
        probability_alive=np.array([0.9, np.nan]),
        expected_purchases=np.array([1.5, np.nan]),
        expected_spend=np.array([2_500.0, np.nan]),
        value=np.array([3_000.0, np.nan]),
    )
    rows = compute_metrics(
        bought, now=NOW, thresholds=thresholds_from(np.zeros(0)), values=values, model_fit_id=7
    )
    assert [(r["lifetime_value_cents"], r["model_fit_id"]) for r in rows] == [
        (3_000.0, 7),
        (None, None),
    ]
