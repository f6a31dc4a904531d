"""A refit beside the other writers of `customers` on PostgreSQL, interleaved at the
point where their row locks used to collide: the stage job and the refit both finish
(no deadlock), and an order is recorded while a refit holds its customers.

The refit writes `customer_metrics` in order of last purchase, and each row's foreign
key takes a FOR KEY SHARE lock on its customer; the stage job locks each batch of
customers in id order. While the stage job locked with FOR UPDATE (which conflicts with
FOR KEY SHARE), a customer with a low id and a recent purchase and one with a high id
and an old purchase were locked in opposite orders, and PostgreSQL aborted one of the
two with "deadlock detected" (seen in CI, in tests/bot/test_dashboard_api.py's setup).

Deterministic, not a race run many times: the transactions are started one by one, and
each next step waits until the one before is blocked on a lock (or done).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from analytics.customer_metrics import compute_metrics, write_metrics
from analytics.lifecycle import LifecycleThresholds
from analytics.purchases import purchases_per_customer
from analytics.refit import RefitSettings, refit_customers
from analytics.stages import apply_stages
from crm_store import Database
from crm_store.models import Customer, CustomerMetrics, LoggedEvent
from crm_store.orders import record_order
from tests.support.lock_waits import until_waiting_or_done
from tests.support.purchases import add_buyer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
T = LifecycleThresholds(at_risk_after_days=60, lapsed_after_days=120, learned_from_intervals=0)
SAME = RefitSettings(at_risk_after_days=60, lapsed_after_days=120)


# Row locks are PostgreSQL's: on SQLite one writer at a time holds the whole database.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_a_refit_beside_the_stage_job_finishes_and_moves_each_customer_once(
    database: Database,
) -> None:
    with database.transaction() as session:
        # Low id, recent purchase; high id, old purchase: the refit writes the high id's
        # row first, the stage job locks the low id first.
        quiet = add_buyer(session, [(NOW - 70 * DAY, 1_000)])
        gone = add_buyer(session, [(NOW - 200 * DAY, 1_000)])
        session.execute(update(Customer).values(lifecycle_stage="customer"))

    with ThreadPoolExecutor(2) as pool, database.transaction() as agent:
        # An agent's edit of the high id (a plain UPDATE: FOR NO KEY UPDATE) is open, so
        # the stage job locks the low id and waits for the high one; then the refit runs
        # until it waits too (its own stage moves wait for the job; before the fix, its
        # inserts did, holding the high id) or is done; then the edit commits.
        agent.execute(update(Customer).where(Customer.id == gone).values(name="Gone"))
        stage_job = pool.submit(apply_stages, database.transaction, T, NOW)
        until_waiting_or_done(database, stage_job, waiters=1)
        refit = pool.submit(refit_customers, database, now=NOW, settings=SAME)
        until_waiting_or_done(database, refit, waiters=2)
    errors = [stage_job.exception(timeout=60), refit.exception(timeout=60)]
    assert errors == [None, None]
    assert stage_job.result() + refit.result().stages_moved == 2

    with database.transaction() as session:
        assert [
            (c.lifecycle_stage, c.name)
            for c in session.scalars(select(Customer).order_by(Customer.id))
        ] == [("at_risk", None), ("lapsed", "Gone")]
        assert session.scalars(
            select(LoggedEvent.customer_id)
            .where(LoggedEvent.type == "lifecycle.changed")
            .order_by(LoggedEvent.customer_id)
        ).all() == [quiet, gone]
        assert session.execute(
            select(CustomerMetrics.customer_id, CustomerMetrics.suggested_stage).order_by(
                CustomerMetrics.customer_id
            )
        ).all() == [(quiet, "at_risk"), (gone, "lapsed")]


def _order(database: Database, customer_id: int) -> str:
    with database.transaction() as session:
        record_order(session, customer_id=customer_id, number="back-1", total_cents=500)
        return session.get_one(Customer, customer_id).lifecycle_stage


def test_an_order_is_recorded_while_a_refit_holds_its_customer(database: Database) -> None:
    with database.transaction() as session:
        buyer = add_buyer(session, [(NOW - 70 * DAY, 1_000)])
        session.execute(update(Customer).values(lifecycle_stage="at_risk"))
    with database.transaction() as session:
        customers = purchases_per_customer(session)

    with ThreadPoolExecutor(1) as pool, database.transaction() as refit:
        write_metrics(refit, compute_metrics(customers, now=NOW, thresholds=T))
        placed = pool.submit(_order, database, buyer)
        until_waiting_or_done(database, placed)
        # The refit is still open: an order that waited for its commit is not done.
        assert placed.done(), "the order waited for the refit's transaction"
    assert placed.result() == "repeat"
    with database.transaction() as session:
        assert session.scalars(select(CustomerMetrics.customer_id)).all() == [buyer]
