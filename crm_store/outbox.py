"""The outbox: outbound messages written with their interaction, sent by a delivery worker.

Workers claim due rows with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
app processes share one outbox without sending a row twice. SQLite ignores the locking
clause; there a single writer lock (BEGIN IMMEDIATE) serialises claims instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, select, true, update
from sqlalchemy.orm import Session

from crm_store import claims, delivery_status, history
from crm_store.base import utcnow
from crm_store.claims import due_in_order
from crm_store.history import set_delivery_status
from crm_store.models import Customer, Interaction, OutboxMessage
from crm_store.records import ConversationRecord, InteractionRecord, NewInteraction, OutboxRecord


def _record(row: OutboxMessage, *, recovered: bool = False) -> OutboxRecord:
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
        retry_from=row.retry_from,
        recovered=recovered,
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
    claims.note_queued(session, "outbox")
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

    A row whose worker died mid-send comes back after its lease, marked `recovered`: the
    provider may have taken it, so the delivery worker asks the provider where it can
    before sending it again (at-least-once where it cannot).

    A recipient's messages go in order: a row waits while an earlier one to the same
    address is unfinished and not due itself (waiting for its retry, or being sent).
    """
    due = select(OutboxMessage).where(
        due_in_order(OutboxMessage, ordered_by=("channel", "address"), now=now)
    )
    if channels is not None:
        due = due.where(OutboxMessage.channel.in_(channels))
    rows = session.scalars(
        due.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    ).all()
    recovered = {row.id for row in rows if row.status == "sending"}
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.claimed_until = now + lease
    session.flush()
    return [_record(row, recovered=row.id in recovered) for row in rows]


def next_due(
    session: Session, *, after: datetime, channels: list[str] | None = None
) -> datetime | None:
    """When the first row not due at `after` falls due: a retry's time, or the end of a
    claim's lease (crm_store/claims.py)."""
    only = OutboxMessage.channel.in_(channels) if channels is not None else true()
    return claims.next_due(
        session,
        waiting=(and_(OutboxMessage.status == "pending", only), OutboxMessage.next_attempt_at),
        claimed=(and_(OutboxMessage.status == "sending", only), OutboxMessage.claimed_until),
        after=after,
    )


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


def mark_dead(session: Session, outbox_id: int, *, error: str) -> None:
    """Retried until its window ended: kept, with the last error, for an admin."""
    row = session.get_one(OutboxMessage, outbox_id)
    row.status = "dead"
    row.claimed_until = None
    row.last_error = error
    set_delivery_status(session, row.interaction_id, "dead")


def revive(session: Session, outbox_id: int, *, now: datetime) -> OutboxRecord | None:
    """An admin's retry of a dead row: due at once, with a fresh retry window. None
    when there is no dead row with that id."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status != "dead":
        return None
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.retry_from = now
    set_delivery_status(session, row.interaction_id, "pending")
    session.flush()
    return _record(row)


def discard(session: Session, outbox_id: int) -> OutboxRecord | None:
    """An admin gives a dead row up; it stays in the table, marked `discarded`."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None or row.status != "dead":
        return None
    row.status = "discarded"
    session.flush()
    return _record(row)


def in_state(session: Session, status: str, *, limit: int = 200) -> list[OutboxRecord]:
    """Rows in one status, oldest first."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [_record(row) for row in rows]


def count_in_state(session: Session, status: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
        or 0
    )


def provider_id_taken(session: Session, provider_message_id: str, *, other_than: int) -> bool:
    """Whether another outbox row records this provider id (a recovered row must not
    claim a message that was another row's)."""
    found = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.provider_message_id == provider_message_id,
            OutboxMessage.id != other_than,
        )
        .limit(1)
    )
    return found is not None


def release(session: Session, outbox_ids: list[int], *, now: datetime | None = None) -> int:
    """Give claimed rows back (at shutdown, or behind a row of their lane to be retried),
    uncounting the attempt that never happened; due again at `now`."""
    if not outbox_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.status == "sending")
        .values(
            status="pending",
            claimed_until=None,
            attempts=OutboxMessage.attempts - 1,
            next_attempt_at=now or utcnow(),
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
    session: Session,
    conversation: ConversationRecord,
    address: str,
    new: NewInteraction,
    *,
    slots: dict[str, Any] | None = None,
) -> InteractionRecord:
    """Append an outbound message to the history and queue it for delivery, together:
    nothing is sent that was not logged. `slots`: as `history.append` takes them."""
    record = history.append(session, conversation, new, slots=slots)
    enqueue(
        session,
        interaction_id=record.id,
        conversation_id=record.conversation_id,
        channel=record.channel,
        address=address,
        payload=payload_for(record),
    )
    return record


def log_answered_in_response(
    session: Session,
    conversation: ConversationRecord,
    address: str,
    new: NewInteraction,
    *,
    slots: dict[str, Any] | None = None,
) -> InteractionRecord:
    """Append a reply that the customer's own request carries back (web chat's HTTP
    answer), with its outbox row recorded sent in the same transaction: the record is the
    same as a send through the worker leaves, without the claim / send / mark
    transactions (the widget's sockets are woken after commit and read the store)."""
    record = history.append(
        session, conversation, replace(new, delivery_status="sent"), slots=slots
    )
    # A Core INSERT: the ORM's flush of this one row at commit cost more than the SQL.
    session.execute(
        insert(OutboxMessage.__table__),
        {
            "interaction_id": record.id,
            "conversation_id": record.conversation_id,
            "channel": record.channel,
            "address": address,
            "payload": payload_for(record),
            "status": "sent",
            "attempts": 1,
            "provider_message_id": f"{record.channel}-{record.id}",
            "sent_at": utcnow(),
        },
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
