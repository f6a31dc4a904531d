"""What the rules read of customers: the template fields and the address per channel,
for one customer (the preview) or a batch of sends (one query per kind of fact)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.models import Account, Customer, Identity, Order
from crm_store.orders import NOT_PURCHASES
from engagement.templates import CustomerFields

__all__ = ["addresses_of", "customers_fields"]


def _aware(value: datetime | str | None) -> datetime | None:
    """max() of a timestamp column: SQLite's aggregate comes back as text, no zone."""
    if value is None:
        return None
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def customers_fields(session: Session, customer_ids: Collection[int]) -> dict[int, CustomerFields]:
    """The fields of each customer that still exists, in three queries (columns, not
    ORM objects: a preview reads a hundred thousand)."""
    ids = list(set(customer_ids))
    customers = session.execute(
        select(
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Customer.lifecycle_stage,
            Customer.attributes,
            Customer.account_id,
        ).where(Customer.id.in_(ids))
    ).all()
    orders = {
        customer_id: (int(count), int(spend), _aware(last), low if low == high else None)
        for customer_id, count, spend, last, low, high in session.execute(
            select(
                Order.customer_id,
                func.count(Order.id),
                func.coalesce(func.sum(Order.total_cents), 0),
                func.max(Order.placed_at),
                func.min(Order.currency),
                func.max(Order.currency),
            )
            .where(Order.customer_id.in_(ids), Order.status.not_in(NOT_PURCHASES))
            .group_by(Order.customer_id)
        )
    }
    account_ids = {c.account_id for c in customers if c.account_id}
    # (a comprehension: dict() of a Result takes it for a mapping, since it has keys())
    accounts = (
        {
            account_id: name
            for account_id, name in session.execute(
                select(Account.id, Account.name).where(Account.id.in_(account_ids))
            )
        }
        if account_ids
        else {}
    )
    found: dict[int, CustomerFields] = {}
    for customer in customers:
        count, spend, last, currency = orders.get(customer.id, (0, 0, None, None))
        found[customer.id] = CustomerFields(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            lifecycle_stage=customer.lifecycle_stage,
            attributes=dict(customer.attributes or {}),
            account_name=accounts.get(customer.account_id) if customer.account_id else None,
            order_count=count,
            spend_cents=spend,
            last_order_at=last,
            currency=currency,
        )
    return found


def addresses_of(
    session: Session, fields: Mapping[int, CustomerFields], wanted: Collection[tuple[int, str]]
) -> dict[tuple[int, str], str | None]:
    """The address a campaign writes to for each (customer, channel): a verified
    identity first, then the newest; else the phone or email on the customer's record.
    One query for the batch; `fields` holds each customer named in `wanted`."""
    ids = {customer_id for customer_id, _ in wanted}
    channels = {channel for _, channel in wanted}
    best: dict[tuple[int, str], str] = {}
    for customer_id, channel, address in session.execute(
        select(Identity.customer_id, Identity.channel, Identity.address)
        .where(Identity.customer_id.in_(ids), Identity.channel.in_(channels))
        .order_by(Identity.verified.desc(), Identity.id.desc())
    ):
        best.setdefault((customer_id, channel), address)
    found: dict[tuple[int, str], str | None] = {}
    for customer_id, channel in wanted:
        address = best.get((customer_id, channel))
        if not address:
            on_record = fields[customer_id]
            address = {"sms": on_record.phone, "email": on_record.email}.get(channel)
        found[(customer_id, channel)] = address
    return found
