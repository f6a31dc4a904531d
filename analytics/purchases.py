"""What analytics reads of the store's orders: purchases (orders not cancelled or
returned, the same rule as the account summary's), of customers who are not pending
contacts, with values in cents as stored.

Currencies: the store keeps each order's currency but no exchange rates, so values are
added as stored. A store selling in several currencies should read the monetary
figures with that in mind (decided: converting at some rate we do not have would be a
figure nobody can check).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.models import Customer, Lead, Order
from crm_store.summaries import NOT_PURCHASES

__all__ = ["CustomerPurchases", "purchase_rows", "purchases_per_customer"]


@dataclass(frozen=True)
class CustomerPurchases:
    """One customer's purchase figures (zeros and None for a customer who never bought)."""

    customer_id: int
    order_count: int
    spend_cents: int
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    has_lead: bool


def purchases_per_customer(session: Session) -> list[CustomerPurchases]:
    """Every customer (pending contacts left out) with their order count, spend, first
    and last purchase: one GROUP BY, the same SQL on SQLite and PostgreSQL."""
    orders = (
        select(
            Order.customer_id,
            func.count().label("orders"),
            func.sum(Order.total_cents).label("spend"),
            func.min(Order.placed_at).label("first"),
            func.max(Order.placed_at).label("last"),
        )
        .where(Order.status.not_in(NOT_PURCHASES))
        .group_by(Order.customer_id)
        .subquery()
    )
    leads = select(Lead.customer_id).distinct().subquery()
    rows = session.execute(
        select(
            Customer.id,
            orders.c.orders,
            orders.c.spend,
            orders.c.first,
            orders.c.last,
            leads.c.customer_id.is_not(None),
        )
        .outerjoin(orders, orders.c.customer_id == Customer.id)
        .outerjoin(leads, leads.c.customer_id == Customer.id)
        .where(Customer.pending.is_(False))
        .order_by(Customer.id)
    )
    # min() and max() keep the column's type, so they come back aware, in UTC, as the
    # column itself does (on SQLite too).
    return [
        CustomerPurchases(
            customer_id=customer_id,
            order_count=int(count or 0),
            spend_cents=int(spend or 0),
            first_purchase_at=first,
            last_purchase_at=last,
            has_lead=bool(has_lead),
        )
        for customer_id, count, spend, first, last, has_lead in rows
    ]


def purchase_rows(session: Session) -> list[tuple[int, datetime, int]]:
    """(customer id, placed at, cents) of every purchase, for the lifetime-value fit."""
    rows = session.execute(
        select(Order.customer_id, Order.placed_at, Order.total_cents)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.status.not_in(NOT_PURCHASES), Customer.pending.is_(False))
    )
    return [(customer_id, placed_at, cents) for customer_id, placed_at, cents in rows]
