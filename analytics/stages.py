"""Applying the lifecycle stages to the customers themselves (`customers.lifecycle_stage`),
by the scheduled stage job and at each refit.

A purchase moves its customer at once (crm_store/orders.py). What no event announces is
silence: a buyer whose last purchase is older than the at-risk threshold is `at_risk`,
older than the lapsed one `lapsed` (analytics/lifecycle.py learns both from the base's
own purchase intervals). This module finds every buyer whose stage is not the one their
purchases say, in one query that returns only those, and moves them in batches: each
batch locks its customers (FOR NO KEY UPDATE on PostgreSQL), computes their stage again
from what is committed now, and writes the moves and their `lifecycle.changed` events,
so an order recorded meanwhile (which locks the same row) is never overtaken by a stale
move.

Silence only deepens: the job moves a buyer from `customer` or `repeat` to `at_risk` and
from `at_risk` to `lapsed`, never back. Only a purchase brings a customer back, recorded
through `record_order` (decided: a refit that learns a longer threshold, or a threshold
raised in the settings, would otherwise move customers back and forth on the border
without anything having happened; and an order written into the table behind the
store's back is counted in the figures but brings nobody back).

Left alone: customers who never bought (a lead stays a lead; nobody is moved back to
`lead`), pending contacts, and `churned` customers (a person's decision; only a new
purchase moves them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from analytics.lifecycle import (
    LifecycleThresholds,
    purchase_intervals_days,
    thresholds_from,
    with_overrides,
)
from analytics.model_fits import CUSTOMER_METRICS, latest_fit
from analytics.purchases import purchase_rows
from crm_store.lifecycle import StageChange, apply_stage_changes
from crm_store.models import Customer, Order
from crm_store.orders import NOT_PURCHASES

__all__ = ["BATCH", "apply_stages", "current_thresholds", "stage_changes"]

BATCH = 1_000
SILENT_STAGES = ("at_risk", "lapsed")


def stage_changes(
    session: Session,
    thresholds: LifecycleThresholds,
    now: datetime,
    customer_ids: Sequence[int] | None = None,
) -> list[StageChange]:
    """The buyers (of `customer_ids`, or all) whose stage differs from the one their
    purchases say as of `now`; only those rows leave the database."""
    bought = (
        select(
            Order.customer_id,
            func.count().label("purchases"),
            func.max(Order.placed_at).label("last"),
            func.max(Order.id).label("latest_id"),
        )
        .where(Order.status.not_in(NOT_PURCHASES))
        .group_by(Order.customer_id)
    )
    if customer_ids is not None:
        bought = bought.where(Order.customer_id.in_(customer_ids))
    purchases = bought.subquery()
    # analytics/lifecycle.py's suggest_stage, in SQL: silent for at least the threshold.
    target = case(
        (purchases.c.last <= now - timedelta(days=thresholds.lapsed_after_days), "lapsed"),
        (purchases.c.last <= now - timedelta(days=thresholds.at_risk_after_days), "at_risk"),
        (purchases.c.purchases > 1, "repeat"),
        else_="customer",
    )
    rows = session.execute(
        select(Customer.id, Customer.lifecycle_stage, target, purchases.c.latest_id)
        .join(purchases, purchases.c.customer_id == Customer.id)
        .where(
            Customer.pending.is_(False),
            Customer.lifecycle_stage != "churned",
            Customer.lifecycle_stage != target,
            # Silence only deepens: at risk -> lapsed, never back without a purchase.
            or_(
                Customer.lifecycle_stage.not_in(SILENT_STAGES),
                and_(Customer.lifecycle_stage == "at_risk", target == "lapsed"),
            ),
        )
        .order_by(Customer.id)
    )
    return [
        StageChange(
            customer_id,
            stage,
            to,
            int(latest_id),
            "silence" if to in SILENT_STAGES else "purchases",
        )
        for customer_id, stage, to, latest_id in rows
    ]


def apply_stages(
    transaction: Callable[[], AbstractContextManager[Session]],
    thresholds: LifecycleThresholds,
    now: datetime,
    *,
    batch: int = BATCH,
) -> int:
    """Move every buyer whose stage is out of date; returns how many moved. Each batch
    is a transaction of its own (`transaction`: `Database.transaction`)."""
    with transaction() as session:
        due = [change.customer_id for change in stage_changes(session, thresholds, now)]
    moved = 0
    for ids in _batches(due, batch):
        with transaction() as session:
            # Lock first, then read again: what an order committed meanwhile is seen.
            # FOR NO KEY UPDATE (`key_share=True`; SQLite ignores it), not FOR UPDATE:
            # the batch changes `lifecycle_stage` and `updated_at`, no key (the only
            # unique index on `customers` is its primary key), which is the lock any
            # such UPDATE takes anyway. In PostgreSQL's table of conflicting row-level
            # locks it still conflicts with an order's lock of its customer
            # (crm_store/orders.py, the same mode) and with another stage job's, but
            # not with FOR KEY SHARE, the lock a foreign key takes on its customer for
            # every row inserted that names them. With FOR UPDATE every such insert
            # waited for the batch, and a refit writing `customer_metrics` (in order of
            # last purchase, analytics/customer_metrics.py) held rows the batch wanted
            # while it waited: a deadlock in CI.
            session.execute(
                select(Customer.id)
                .where(Customer.id.in_(ids))
                .order_by(Customer.id)
                .with_for_update(key_share=True)
            ).all()
            changes = stage_changes(session, thresholds, now, ids)
            apply_stage_changes(session, changes, actor="system", now=now)
            moved += len(changes)
    return moved


def current_thresholds(
    session: Session,
    *,
    at_risk_after_days: float | None = None,
    lapsed_after_days: float | None = None,
) -> LifecycleThresholds:
    """The thresholds in force: those set (settings), else the last refit's, else
    learned now from the purchase intervals (a store never refitted)."""
    stored = latest_fit(session, CUSTOMER_METRICS)
    lifecycle = stored.report.get("lifecycle") if stored is not None else None
    if lifecycle:
        base = LifecycleThresholds(
            float(lifecycle["at_risk_after_days"]),
            float(lifecycle["lapsed_after_days"]),
            int(lifecycle["learned_from_intervals"]),
        )
        return with_overrides(base, at_risk_after_days, lapsed_after_days)
    return thresholds_from(
        purchase_intervals_days(purchase_rows(session)),
        at_risk_after_days=at_risk_after_days,
        lapsed_after_days=lapsed_after_days,
    )


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
