"""Orders, as the customer-facing bot may see them: only a customer's own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

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
