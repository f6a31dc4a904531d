"""Delivery status of outbound interactions, moved forward only.

Providers report a message's progress (queued, sent, delivered; or undelivered, failed)
in callbacks that may arrive in any order, even before the send itself is recorded.
A status only replaces one that comes before it, so a late "sent" never undoes
"delivered", and the end states are final.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.history import interaction_record
from crm_store.models import Interaction, OutboxMessage
from crm_store.records import InteractionRecord

# Where each status stands; unknown statuses are ignored.
RANKS = {
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "opted_out": 4,
    "read": 5,  # after delivered only (WhatsApp, RCS)
}
_FINAL_UNLESS_READ = frozenset({"undelivered", "failed", "canceled", "opted_out"})
# End states of a message the customer never got: the above, and `dead` (retried until
# its window ended; set by the outbox, outside the ranks, an admin may retry it).
NOT_DELIVERED = _FINAL_UNLESS_READ | {"dead"}


def moves_forward(current: str | None, new: str) -> bool:
    if new not in RANKS:
        return False
    if current is None:
        return True
    if current in _FINAL_UNLESS_READ:
        return False
    return RANKS[new] > RANKS.get(current, 0)


def advance(
    session: Session, interaction_id: int, status: str, *, attributes: dict[str, Any] | None = None
) -> bool:
    """Set the interaction's delivery status if `status` is further along; True if it was.

    `attributes` (an error code, say) are merged in only when the status moves."""
    row = session.scalars(
        select(Interaction).where(Interaction.id == interaction_id).with_for_update()
    ).one()
    if not moves_forward(row.delivery_status, status):
        return False
    row.delivery_status = status
    if attributes:
        row.attributes = {**(row.attributes or {}), **attributes}
    session.flush()
    return True


def force(
    session: Session, interaction_id: int, status: str, *, attributes: dict[str, Any] | None = None
) -> None:
    """Set the delivery status whatever it was (delivery refused the send itself)."""
    row = session.get_one(Interaction, interaction_id)
    row.delivery_status = status
    if attributes:
        row.attributes = {**(row.attributes or {}), **attributes}


def record_sent(
    session: Session,
    interaction_id: int,
    provider_message_id: str | None,
    attributes: dict[str, Any],
) -> None:
    """Keep the provider's id and what it said about the send on the interaction."""
    row = session.get_one(Interaction, interaction_id)
    if provider_message_id is not None:
        row.provider_message_id = provider_message_id
    if attributes:
        row.attributes = {**(row.attributes or {}), **attributes}


def record_sent_many(
    session: Session, sent: Sequence[tuple[int, str | None, dict[str, Any]]]
) -> None:
    """`record_sent` and `advance(..., "sent")` for a batch of `(interaction id, provider
    id, attributes)`: the rows are read (locked) in one query and written in one flush.
    A status the provider's callback moved further already stays."""
    if not sent:
        return
    rows = {
        row.id: row
        for row in session.scalars(
            select(Interaction)
            .where(Interaction.id.in_([interaction_id for interaction_id, _, _ in sent]))
            .order_by(Interaction.id)
            .with_for_update()
        )
    }
    for interaction_id, provider_message_id, attributes in sent:
        row = rows[interaction_id]
        if provider_message_id is not None:
            row.provider_message_id = provider_message_id
        if attributes:
            row.attributes = {**(row.attributes or {}), **attributes}
        if moves_forward(row.delivery_status, "sent"):
            row.delivery_status = "sent"
    session.flush()


def find_sent(
    session: Session,
    channel: str,
    provider_message_id: str,
    *,
    outbox_id: int | None = None,
) -> InteractionRecord | None:
    """The outbound interaction a provider's status report is about.

    With the outbox id (carried in the callback URL) the interaction is found even before
    the send's provider id is recorded; the ids must then not contradict each other."""
    if outbox_id is not None:
        row = session.get(OutboxMessage, outbox_id)
        if row is None or row.channel != channel:
            return None
        if row.provider_message_id not in (None, provider_message_id):
            return None
        interaction_id = row.interaction_id
    else:
        found = session.scalars(
            select(OutboxMessage.interaction_id).where(
                OutboxMessage.channel == channel,
                OutboxMessage.provider_message_id == provider_message_id,
            )
        ).first()
        if found is None:  # not from the outbox: a campaign send, logged with its id
            found = session.scalars(
                select(Interaction.id).where(
                    Interaction.channel == channel,
                    Interaction.direction == "out",
                    Interaction.provider_message_id == provider_message_id,
                )
            ).first()
        if found is None:
            return None
        interaction_id = found
    return interaction_record(session.get_one(Interaction, interaction_id))
