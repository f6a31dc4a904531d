"""Lifecycle stages: where a customer stands with the company, kept up to date from what
they do, each move logged as a `lifecycle.changed` event with `from` and `to`.

    visitor -> lead -> (opportunity) -> customer -> repeat -> at_risk -> lapsed

- `customer` on the first purchase and `repeat` on the second, in the transaction that
  records the order (`crm_store/orders.py`, `record_order`). A new purchase also brings
  an `at_risk` or `lapsed` customer back (to `repeat`, or to `customer` when it is their
  only purchase), and a `churned` one.
- `at_risk` and `lapsed` come with time, not with an event: a scheduled job and each
  refit apply them against thresholds learned from the base's own purchase intervals
  (`analytics/stages.py`).
- A customer who bought is never moved back to `lead` (or to `visitor`).
- `churned` is set by a person or an import (a customer who said they are leaving): the
  time-based stages leave it alone, and only a new purchase moves it.

The event's key is (customer, from, to, the latest purchase the move is measured
against): the same move against the same purchase is the same change, so a retried
transaction or a second job run over the same facts logs nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.event_log import event_row, record_events
from crm_store.models import Customer
from crm_store.models.customers import LIFECYCLE_STAGES

__all__ = [
    "BUYER_STAGES",
    "LIFECYCLE_STAGES",
    "StageChange",
    "apply_stage_changes",
    "stage_after_purchase",
]

# The stages of someone who bought: the time-based stages move among these.
BUYER_STAGES = ("customer", "repeat", "at_risk", "lapsed")


def stage_after_purchase(purchases: int) -> str:
    """The stage a purchase brings: `customer` with the first, `repeat` from the second."""
    return "repeat" if purchases > 1 else "customer"


@dataclass(frozen=True, slots=True)
class StageChange:
    """One customer's move, measured against their latest purchase (an order id)."""

    customer_id: int
    from_stage: str
    to_stage: str
    purchase_id: int
    reason: str  # "purchase", "silence" (at risk, lapsed), "refit"

    @property
    def key(self) -> str:
        return f"{self.customer_id}:{self.from_stage}:{self.to_stage}:order-{self.purchase_id}"


def apply_stage_changes(
    session: Session,
    changes: Sequence[StageChange],
    *,
    actor: str = "system",
    now: datetime | None = None,
) -> None:
    """Write `changes` and their events, in the caller's transaction.

    The caller computed them from customers it has locked in this transaction (an
    order's customer; the stage job's batch), so each applies; the update still names
    the stage it moves from, so a change computed from a stale read moves nobody."""
    if not changes:
        return
    now = now or utcnow()
    session.execute(
        update(Customer.__table__)
        .where(
            Customer.__table__.c.id == bindparam("cid"),
            Customer.__table__.c.lifecycle_stage == bindparam("was"),
        )
        .values(lifecycle_stage=bindparam("stage"), updated_at=now),
        [{"cid": c.customer_id, "was": c.from_stage, "stage": c.to_stage} for c in changes],
    )
    record_events(
        session,
        [
            event_row(
                "lifecycle.changed",
                key=c.key,
                actor=actor,
                customer_id=c.customer_id,
                occurred_at=now,
                detail=c.to_stage,
                data={
                    "from": c.from_stage,
                    "to": c.to_stage,
                    "reason": c.reason,
                    "order_id": c.purchase_id,
                },
            )
            for c in changes
        ],
    )
