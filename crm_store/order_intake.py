"""Orders from the shop's backend (PUT /api/v1/orders/{number}): the order and its
customer recorded once, whatever the number of retries.

The shop is the system of record for orders; Switchboard keeps a copy so the bot can
answer "where is my order", analytics can see who buys, and journeys can follow
`order.placed` and `order.delivered`. One call per order number is an upsert:

- a new number is placed for the customer with that email (else phone) on file, or for
  a new customer with those details (`customer.created` is logged), since the shop has
  checked them when the person signed up or paid;
- a known number takes the new status and total, and the currency, items, carrier and
  tracking link when given (left out, they are kept); who placed it and when never
  change, and an order under another customer's contact details is refused
  (`OrderOfAnotherCustomer`), not moved;
- a retry with the same body changes nothing and logs nothing twice (the events are
  keyed by the order).

A person erased earlier who buys again becomes a new customer: an order is a new
relationship, not a replay (crm_store/tombstones.py guards provider replays only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.customers import fill_blanks, find_by_contact, normalise_email
from crm_store.event_log import record_event
from crm_store.models import Customer, Order
from crm_store.orders import change_order_status, order_record, record_order
from crm_store.records import OrderRecord

__all__ = ["OrderFromShop", "OrderOfAnotherCustomer", "record_order_from_shop"]


class OrderOfAnotherCustomer(Exception):
    """The order number is on file for a customer with other contact details."""


@dataclass(frozen=True, slots=True)
class OrderFromShop:
    number: str
    email: str | None
    phone: str | None
    name: str | None
    status: str
    total_cents: int
    # None: left out of the call, so an order on file keeps what it has (a status
    # update need not repeat the items); a new order takes USD and no items.
    currency: str | None
    items: list[Any] | None
    placed_at: datetime | None = None
    carrier: str | None = None
    tracking_url: str | None = None


def record_order_from_shop(session: Session, order: OrderFromShop) -> tuple[OrderRecord, bool]:
    """The order as stored now, and whether this call created it."""
    email = normalise_email(order.email)
    row = session.scalars(select(Order).where(Order.number == order.number.upper())).one_or_none()
    if row is None:
        customer = _customer_for(session, email=email, phone=order.phone, name=order.name)
        placed = record_order(
            session,
            customer_id=customer.id,
            number=order.number,
            total_cents=order.total_cents,
            currency=order.currency or "USD",
            status=order.status,
            items=order.items or [],
            placed_at=order.placed_at,
            carrier=order.carrier,
            tracking_url=order.tracking_url,
        )
        if order.status == "delivered":  # logs `order.delivered` (once)
            placed = change_order_status(session, placed.number, order.status) or placed
        return placed, True
    owner = session.get_one(Customer, row.customer_id)
    if not ((email and owner.email == email) or (order.phone and owner.phone == order.phone)):
        raise OrderOfAnotherCustomer(order.number)
    _take_changes(session, row, order)
    return order_record(row), False


def _take_changes(session: Session, row: Order, order: OrderFromShop) -> None:
    for field_name in ("total_cents", "currency", "items", "carrier", "tracking_url"):
        value = getattr(order, field_name)
        if value is not None and getattr(row, field_name) != value:
            setattr(row, field_name, value)
    session.flush()
    if row.status != order.status:
        change_order_status(session, row.number, order.status)


def _customer_for(
    session: Session, *, email: str | None, phone: str | None, name: str | None
) -> Customer:
    found = find_by_contact(session, email=email, phone=phone)
    if found is not None:
        fill_blanks(found, email=email, phone=phone, name=name)
        session.flush()
        return found
    customer = Customer(name=name, email=email, phone=phone, attributes={})
    session.add(customer)
    session.flush()
    record_event(
        session, "customer.created", key=str(customer.id), actor="system", customer_id=customer.id
    )
    return customer
