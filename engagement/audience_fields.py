"""What the rules read of one customer: the template fields and the address per channel."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.models import Account, CampaignSend, Customer, Identity, Order
from engagement.templates import CustomerFields

__all__ = ["address_of", "customer_fields", "had_marketing_sms"]


def _aware(value: datetime | str | None) -> datetime | None:
    """max() of a timestamp column: SQLite's aggregate comes back as text, no zone."""
    if value is None:
        return None
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def customer_fields(session: Session, customer_id: int) -> CustomerFields | None:
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    count, spend, last = session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total_cents), 0),
            func.max(Order.placed_at),
        ).where(Order.customer_id == customer_id)
    ).one()
    account = session.get(Account, customer.account_id) if customer.account_id else None
    last = _aware(last)
    return CustomerFields(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        phone=customer.phone,
        lifecycle_stage=customer.lifecycle_stage,
        attributes=dict(customer.attributes or {}),
        account_name=account.name if account is not None else None,
        order_count=int(count),
        spend_cents=int(spend),
        last_order_at=last,
    )


def address_of(
    session: Session, customer_id: int, channel: str, fields: CustomerFields
) -> str | None:
    """The address a campaign writes to on `channel`: a verified identity first, then
    the newest; else the phone or email on the customer's record."""
    found = session.scalars(
        select(Identity.address)
        .where(Identity.customer_id == customer_id, Identity.channel == channel)
        .order_by(Identity.verified.desc(), Identity.id.desc())
        .limit(1)
    ).first()
    if found:
        return found
    if channel == "sms":
        return fields.phone
    if channel == "email":
        return fields.email
    return None


def had_marketing_sms(session: Session, address: str, *, other_than: int | None) -> bool:
    """Whether this number was sent a marketing SMS before (the opt-out hint goes with
    the first one only)."""
    query = select(CampaignSend.id).where(
        CampaignSend.channel == "sms",
        CampaignSend.address == address,
        CampaignSend.purpose == "marketing",
        CampaignSend.state == "sent",
    )
    if other_than is not None:
        query = query.where(CampaignSend.id != other_than)
    return session.scalar(query.limit(1)) is not None
