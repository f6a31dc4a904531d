"""A campaign message in the customer's interaction history, logged before it is sent.

It goes into the latest conversation of the address it is sent to, which it does not
reopen: a broadcast awaits no answer, and a resolved conversation stays resolved until
the customer writes back (their reply then reopens it as any reply does, and finds the
campaign message above it). An address with no conversation gets one, created resolved
for the same reason. An address on the customer's record without an identity gets
one, unless another customer holds it (then the message is not sent: `no_address`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store import history
from crm_store.base import utcnow
from crm_store.history import conversation_record
from crm_store.models import Conversation, Identity
from crm_store.records import InteractionRecord, NewInteraction

__all__ = ["log_campaign_message"]


def _identity(session: Session, customer_id: int, channel: str, address: str) -> Identity | None:
    row = session.scalars(
        select(Identity).where(Identity.channel == channel, Identity.address == address)
    ).one_or_none()
    if row is None:
        row = Identity(customer_id=customer_id, channel=channel, address=address, verified=False)
        session.add(row)
        session.flush()
    return row if row.customer_id == customer_id else None


def log_campaign_message(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    address: str,
    text: str,
    attributes: dict[str, Any],
) -> InteractionRecord | None:
    """Append the outbound message (delivery status `pending`); None when the address
    belongs to someone else."""
    identity = _identity(session, customer_id, channel, address)
    if identity is None:
        return None
    row = session.scalars(
        select(Conversation)
        .where(Conversation.identity_id == identity.id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).first()
    if row is None:
        now = utcnow()
        row = Conversation(
            customer_id=customer_id,
            identity_id=identity.id,
            channel=channel,
            status="resolved",
            resolved_at=now,
            last_seq=0,
        )
        session.add(row)
        session.flush()
    return history.append(
        session,
        conversation_record(row),
        NewInteraction(
            "out", "system", text, delivery_status="pending", attributes=dict(attributes)
        ),
    )
