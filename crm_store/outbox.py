"""The outbox: outbound messages written with their interaction, sent by a delivery worker.

Workers claim due rows with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
app processes share one outbox without sending a row twice. SQLite ignores the locking
clause; there a single writer lock (BEGIN IMMEDIATE) serialises claims instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crm_store import delivery_status, history
from crm_store.base import utcnow
from crm_store.history import set_delivery_status
from crm_store.models import Customer, Interaction, OutboxMessage
from crm_store.records import ConversationRecord, InteractionRecord, NewInteraction, OutboxRecord


def _record(row: OutboxMessage) -> OutboxRecord:
    return OutboxRecord(
        id=row.id,
        interaction_id=row.interaction_id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        address=row.address,
        payload=dict(row.payload or {}),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        provider_message_id=row.provider_message_id,
        created_at=row.created_at,
    )


def payload_for(record: InteractionRecord) -> dict[str, Any]:
    """What the delivery worker needs of the interaction, so it sends without a join."""
    return {
        "text": record.text,
        "author": record.author,
        "seq": record.seq,
        "created_at": record.created_at.isoformat(),
        "attributes": dict(record.attributes),
    }


def enqueue(
    session: Session,
    *,
    interaction_id: int,
    conversation_id: int,
    channel: str,
    address: str,
    payload: dict[str, Any],
) -> OutboxRecord:
    row = OutboxMessage(
        interaction_id=interaction_id,
        conversation_id=conversation_id,
        channel=channel,
        address=address,
        payload=payload,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return _record(row)


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    channels: list[str] | None = None,
) -> list[OutboxRecord]:
    """Take up to `limit` rows that are due, or whose previous claim's lease ran out.

    A row whose worker died mid-send comes back after its lease: it may then be sent a
    second time, which is the price of never dropping one (at-least-once to providers;
    adapters pass the outbox id as an idempotency key where the provider accepts one).
    """
    due = select(OutboxMessage).where(
        or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
        )
    )
    if channels is not None:
        due = due.where(OutboxMessage.channel.in_(channels))
    rows = session.scalars(
        due.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.claimed_until = now + lease
    session.flush()
    return [_record(row) for row in rows]


def mark_sent(session: Session, outbox_id: int, provider_message_id: str | None) -> None:
    row = session.get_one(OutboxMessage, outbox_id)
    row.status = "sent"
    row.provider_message_id = provider_message_id
    row.sent_at = utcnow()
    row.claimed_until = None
    row.last_error = None
    # Forward only: a fast provider's "delivered" callback may already be recorded.
    delivery_status.advance(session, row.interaction_id, "sent")


def schedule_retry(
    session: Session, outbox_id: int, *, error: str, at: datetime, count_attempt: bool = True
) -> None:
    """Put a row back to be tried at `at`. `count_attempt=False` takes back the try just
    claimed (the provider asked to wait, which is not a failed attempt)."""
    row = session.get_one(OutboxMessage, outbox_id)
    row.status = "pending"
    row.next_attempt_at = at
    row.claimed_until = None
    row.last_error = error
    if not count_attempt:
        row.attempts -= 1


def mark_failed(session: Session, outbox_id: int, *, error: str) -> None:
    row = session.get_one(OutboxMessage, outbox_id)
    row.status = "failed"
    row.claimed_until = None
    row.last_error = error
    set_delivery_status(session, row.interaction_id, "failed")


def release(session: Session, outbox_ids: list[int]) -> int:
    """Give claimed rows back (at shutdown), uncounting the attempt that never happened."""
    if not outbox_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.status == "sending")
        .values(
            status="pending",
            claimed_until=None,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=utcnow(),
        )
    )
    return result.rowcount


def get_outbox(session: Session, outbox_id: int) -> OutboxRecord | None:
    row = session.get(OutboxMessage, outbox_id)
    return _record(row) if row is not None else None


def outbox_for_interaction(session: Session, interaction_id: int) -> OutboxRecord | None:
    row = session.scalars(
        select(OutboxMessage).where(OutboxMessage.interaction_id == interaction_id)
    ).one_or_none()
    return _record(row) if row is not None else None


def log_outbound(
    session: Session, conversation: ConversationRecord, address: str, new: NewInteraction
) -> InteractionRecord:
    """Append an outbound message to the history and queue it for delivery, together:
    nothing is sent that was not logged."""
    record = history.append(session, conversation, new)
    enqueue(
        session,
        interaction_id=record.id,
        conversation_id=record.conversation_id,
        channel=record.channel,
        address=address,
        payload=payload_for(record),
    )
    return record


def automatic_replies_since(session: Session, channel: str, address: str, since: datetime) -> int:
    """How many bot replies (not agents') were queued for one address since a time."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .join(Interaction, Interaction.id == OutboxMessage.interaction_id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.created_at >= since,
                Interaction.author == "bot",
            )
        )
        or 0
    )


def automatic_replies_to_pending_since(session: Session, channel: str, since: datetime) -> int:
    """How many bot replies were queued for pending contacts (senders nobody vouched
    for and not on file), all together, since a time."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .join(Interaction, Interaction.id == OutboxMessage.interaction_id)
            .join(Customer, Customer.id == Interaction.customer_id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.created_at >= since,
                Interaction.author == "bot",
                Customer.pending.is_(True),
            )
        )
        or 0
    )
