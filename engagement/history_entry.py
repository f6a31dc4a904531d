"""A campaign message in the customer's interaction history, logged before it is sent.

It goes into the latest conversation of the address it is sent to, which it does not
reopen: a broadcast awaits no answer, and a resolved conversation stays resolved until
the customer writes back (their reply then reopens it as any reply does, and finds the
campaign message above it). An address with no conversation gets one, created resolved
for the same reason. An address on the customer's record without an identity gets
one, unless another customer holds it (then the message is not sent: `no_address`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store import history
from crm_store.base import utcnow
from crm_store.history import conversation_record
from crm_store.models import Conversation, Identity
from crm_store.records import InteractionRecord, NewInteraction

__all__ = ["CampaignMessage", "log_campaign_messages"]


@dataclass(frozen=True, slots=True)
class CampaignMessage:
    customer_id: int
    channel: str
    address: str
    text: str
    attributes: dict[str, Any]


def _identities(
    session: Session, messages: Sequence[CampaignMessage]
) -> dict[tuple[str, str], Identity]:
    """The identity of each (channel, address), created for the first customer named
    where there is none yet."""
    found: dict[tuple[str, str], Identity] = {}
    for channel in {m.channel for m in messages}:
        addresses = {m.address for m in messages if m.channel == channel}
        for row in session.scalars(
            select(Identity).where(Identity.channel == channel, Identity.address.in_(addresses))
        ):
            found[(row.channel, row.address)] = row
    new = []
    for message in messages:
        key = (message.channel, message.address)
        if key not in found:
            found[key] = Identity(
                customer_id=message.customer_id,
                channel=message.channel,
                address=message.address,
                verified=False,
            )
            new.append(found[key])
    if new:
        session.add_all(new)
        session.flush()
    return found


def _conversations(session: Session, identities: Sequence[Identity]) -> dict[int, Conversation]:
    """The latest conversation of each identity, created resolved where there is none."""
    ids = {identity.id for identity in identities}
    latest = (
        select(func.max(Conversation.id))
        .where(Conversation.identity_id.in_(ids))
        .group_by(Conversation.identity_id)
    )
    found = {
        row.identity_id: row
        for row in session.scalars(select(Conversation).where(Conversation.id.in_(latest)))
    }
    now = utcnow()
    new = [
        Conversation(
            customer_id=identity.customer_id,
            identity_id=identity.id,
            channel=identity.channel,
            status="resolved",
            resolved_at=now,
            last_seq=0,
        )
        for identity in identities
        if identity.id not in found
    ]
    if new:
        session.add_all(new)
        session.flush()
        found.update({row.identity_id: row for row in new})
    return found


def log_campaign_messages(
    session: Session, messages: Sequence[CampaignMessage]
) -> list[InteractionRecord | None]:
    """Append each outbound message (delivery status `pending`), in a handful of
    statements for the batch; None for one whose address belongs to someone else."""
    if not messages:
        return []
    identities = _identities(session, messages)
    mine = [identities[(m.channel, m.address)] for m in messages]
    conversations = _conversations(
        session, [i for i, m in zip(mine, messages, strict=True) if i.customer_id == m.customer_id]
    )
    placed = [
        (index, conversations[identity.id])
        for index, (identity, message) in enumerate(zip(mine, messages, strict=True))
        if identity.customer_id == message.customer_id
    ]
    logged = history.append_many(
        session,
        [
            (
                conversation_record(conversation),
                NewInteraction(
                    "out",
                    "system",
                    messages[index].text,
                    delivery_status="pending",
                    attributes=dict(messages[index].attributes),
                ),
            )
            for index, conversation in placed
        ],
    )
    found: list[InteractionRecord | None] = [None] * len(messages)
    for (index, _), record in zip(placed, logged, strict=True):
        found[index] = record
    return found
