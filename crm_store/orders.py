"""Orders, as the customer-facing bot may see them (only a customer's own), and as a
shop's import records them: placing an order and moving its status log `order.placed`
and `order.delivered`, which journeys start from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.event_log import record_event
from crm_store.models import Order
from crm_store.records import OrderRecord


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
    row = session.scalars(
        select(Order).where(Order.number == number.upper(), Order.customer_id == customer_id)
    ).one_or_none()
    return order_record(row) if row is not None else None


def recent_orders_of(session: Session, customer_id: int, *, limit: int = 5) -> list[OrderRecord]:
    rows = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [order_record(row) for row in rows]


def place_order(
    session: Session,
    *,
    customer_id: int,
    number: str,
    total_cents: int,
    currency: str = "USD",
    items: list[Any] | None = None,
    placed_at: datetime | None = None,
) -> OrderRecord:
    """A new order, with its `order.placed` event in the same transaction."""
    row = Order(
        customer_id=customer_id,
        number=number.upper(),
        total_cents=total_cents,
        currency=currency,
        items=items or [],
        **({"placed_at": placed_at} if placed_at is not None else {}),
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        "order.placed",
        key=str(row.id),
        actor="customer",
        customer_id=customer_id,
        occurred_at=row.placed_at,
        data={"number": row.number, "total_cents": total_cents},
    )
    return order_record(row)


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
