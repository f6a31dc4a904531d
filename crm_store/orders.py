"""Orders: recording one (which logs `order.placed` and moves the customer's lifecycle
stage in the same transaction), moving its status (delivery logs `order.delivered`;
journeys start from both), and reading them as the customer-facing bot may: only a
customer's own. The shop's backend records them through crm_store/order_intake.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.errors import NotFound
from crm_store.event_log import record_event
from crm_store.lifecycle import StageChange, apply_stage_changes, stage_after_purchase
from crm_store.models import Customer, Order
from crm_store.records import OrderRecord

# Orders in these statuses are no purchase (the account summary's and analytics' rule).
NOT_PURCHASES = ("cancelled", "returned")


def order_record(row: Order) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        status=row.status,
        total_cents=row.total_cents,
        currency=row.currency,
        items=list(row.items or []),
        carrier=row.carrier,
        tracking_url=row.tracking_url,
        placed_at=row.placed_at,
        updated_at=row.updated_at,
    )


def order_of_customer(session: Session, customer_id: int, number: str) -> OrderRecord | None:
    """The order with this number if it is this customer's; None otherwise, whether or
    not it exists, so someone else's order answers exactly like a missing one."""
    wanted = number.upper()
    # A code typed without its hyphen ("AO7719") finds the shop's "AO-7719"; the exact
    # number first, should a shop have both.
    row = session.scalars(
        select(Order)
        .where(
            Order.customer_id == customer_id,
            or_(Order.number == wanted, func.replace(Order.number, "-", "") == wanted),
        )
        .order_by((Order.number == wanted).desc(), Order.id)
        .limit(1)
    ).first()
    return order_record(row) if row is not None else None


def recent_orders_of(session: Session, customer_id: int, *, limit: int = 5) -> list[OrderRecord]:
    rows = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [order_record(row) for row in rows]


def record_order(
    session: Session,
    *,
    customer_id: int,
    number: str,
    total_cents: int,
    currency: str = "USD",
    status: str = "placed",
    items: Sequence[Any] = (),
    placed_at: datetime | None = None,
    carrier: str | None = None,
    tracking_url: str | None = None,
    actor: str = "system",
) -> OrderRecord:
    """Record a customer's order. A purchase (not cancelled or returned, by a customer
    who is not a pending contact) moves their lifecycle stage in this transaction:
    `customer` with their first purchase, `repeat` from the second, whatever stage they
    were in (an at-risk, lapsed or churned customer who buys again is back), with its
    `lifecycle.changed` event (crm_store/lifecycle.py).

    The customer's row is locked first (FOR NO KEY UPDATE on PostgreSQL), so the
    scheduled stage job, which locks the same rows in the same mode, never moves them on
    the purchases before this one. Not FOR UPDATE: this changes no key of the row, and
    FOR UPDATE would also wait for every transaction holding FOR KEY SHARE on it (a
    refit writing `customer_metrics` holds it on every customer until it commits,
    analytics/customer_metrics.py), which FOR NO KEY UPDATE does not conflict with."""
    customer = session.get(Customer, customer_id, with_for_update={"key_share": True})
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    order = Order(
        number=number.upper(),
        customer_id=customer_id,
        status=status,
        total_cents=total_cents,
        currency=currency,
        items=list(items),
        carrier=carrier,
        tracking_url=tracking_url,
        placed_at=placed_at or utcnow(),
    )
    session.add(order)
    session.flush()
    record_event(
        session,
        "order.placed",
        key=str(order.id),
        actor="customer",
        customer_id=customer_id,
        occurred_at=order.placed_at,
        data={"number": order.number, "total_cents": total_cents},
    )
    if status not in NOT_PURCHASES and not customer.pending:
        purchases = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.customer_id == customer_id, Order.status.not_in(NOT_PURCHASES))
        )
        stage = stage_after_purchase(int(purchases or 0))
        if customer.lifecycle_stage != stage:
            change = StageChange(customer_id, customer.lifecycle_stage, stage, order.id, "purchase")
            apply_stage_changes(session, [change], actor=actor)
            session.refresh(customer)
    return order_record(order)


def change_order_status(session: Session, number: str, status: str) -> OrderRecord | None:
    """Move an order on (shipped, delivered, ...); delivery is logged once as
    `order.delivered`. None for an unknown number."""
    row = session.scalars(select(Order).where(Order.number == number.upper())).one_or_none()
    if row is None:
        return None
    row.status = status
    session.flush()
    if status == "delivered":
        record_event(
            session,
            "order.delivered",
            key=str(row.id),
            actor="system",
            customer_id=row.customer_id,
            data={"number": row.number},
        )
    return order_record(row)
