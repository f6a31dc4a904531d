"""Stranded inbound messages: recorded by an intake whose process died (or whose
database failed) before the answer was logged, so the receipt stays `received`.

The intake holds each receipt until `claimed_until` (its lease); past it, a sweeper may
claim the receipt for a lease of its own and answer it as a provider retry would. The
claim takes rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL (BEGIN IMMEDIATE serialises
it on SQLite), so two sweepers never hold one row. A row that keeps failing is given up
after its tries: status `unanswered`, with the last error, counted for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crm_store import claims
from crm_store.base import utcnow
from crm_store.models import Conversation, Identity, InboundReceipt, Interaction

__all__ = [
    "StrandedMessage",
    "claim_stranded",
    "count_unanswered",
    "give_up",
    "next_due",
    "release",
    "schedule_sweep",
]


@dataclass(frozen=True, slots=True)
class StrandedMessage:
    """A claimed stranded receipt and what answering it needs."""

    id: int
    channel: str
    provider_message_id: str
    conversation_id: int
    interaction_id: int
    address: str | None
    text: str
    reply_hints: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0  # sweeps so far, the one just claimed included
    created_at: datetime = field(default_factory=utcnow)  # when it was received

    @property
    def window_start(self) -> datetime:
        """Where the queue worker's retry window starts: at receipt (the sweeper's own
        policy counts tries; it sets no window)."""
        return self.created_at


def next_due(session: Session, *, after: datetime) -> datetime | None:
    """When the first receipt not stranded at `after` will be: the end of its intake's
    lease (the grace), of a sweeper's, or of the wait before its next sweep."""
    return claims.next_due(
        session,
        waiting=(InboundReceipt.status == "received", InboundReceipt.claimed_until),
        claimed=None,
        after=after,
    )


def claim_stranded(
    session: Session, *, now: datetime, limit: int, lease: timedelta
) -> list[StrandedMessage]:
    """Take up to `limit` `received` receipts whose claim ran out (oldest first),
    counting a sweep on each and holding them for `lease`."""
    rows = session.scalars(
        select(InboundReceipt)
        .where(
            InboundReceipt.status == "received",
            or_(InboundReceipt.claimed_until.is_(None), InboundReceipt.claimed_until <= now),
        )
        .order_by(InboundReceipt.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return []
    texts: dict[int, str] = {
        interaction_id: text
        for interaction_id, text in session.execute(
            select(Interaction.id, Interaction.text).where(
                Interaction.id.in_([row.interaction_id for row in rows])
            )
        )
    }
    # Receipts written before addresses were kept: the conversation's own address.
    addresses: dict[int, str] = {
        conversation_id: address
        for conversation_id, address in session.execute(
            select(Conversation.id, Identity.address)
            .join(Identity, Identity.id == Conversation.identity_id)
            .where(Conversation.id.in_([r.conversation_id for r in rows if r.address is None]))
        )
    }
    claimed = []
    for row in rows:
        row.sweep_attempts += 1
        row.claimed_until = now + lease
        claimed.append(
            StrandedMessage(
                id=row.id,
                channel=row.channel,
                provider_message_id=row.provider_message_id,
                conversation_id=row.conversation_id,
                interaction_id=row.interaction_id,
                address=row.address or addresses.get(row.conversation_id),
                text=texts.get(row.interaction_id, ""),
                reply_hints=dict(row.reply_hints or {}),
                attempts=row.sweep_attempts,
                created_at=row.received_at,
            )
        )
    session.flush()
    return claimed


def schedule_sweep(
    session: Session, receipt_id: int, *, at: datetime, error: str, count_attempt: bool = True
) -> None:
    """Try a still-unanswered receipt again at `at`."""
    values: dict[str, Any] = {"claimed_until": at, "last_error": error}
    if not count_attempt:
        values["sweep_attempts"] = InboundReceipt.sweep_attempts - 1
    session.execute(
        update(InboundReceipt)
        .where(InboundReceipt.id == receipt_id, InboundReceipt.status == "received")
        .values(**values)
    )


def give_up(session: Session, receipt_id: int, *, error: str) -> bool:
    """Mark a receipt the sweeper could not answer `unanswered`, with why. False when it
    was answered meanwhile (nothing to give up on)."""
    result = session.execute(
        update(InboundReceipt)
        .where(InboundReceipt.id == receipt_id, InboundReceipt.status == "received")
        .values(status="unanswered", claimed_until=None, last_error=error)
    )
    return result.rowcount == 1


def release(session: Session, receipt_ids: list[int]) -> int:
    """Hand claimed receipts back at shutdown: due at once, the sweep uncounted."""
    if not receipt_ids:
        return 0
    result = session.execute(
        update(InboundReceipt)
        .where(InboundReceipt.id.in_(receipt_ids), InboundReceipt.status == "received")
        .values(claimed_until=utcnow(), sweep_attempts=InboundReceipt.sweep_attempts - 1)
    )
    return result.rowcount


def count_unanswered(session: Session) -> int:
    """Messages the sweeper gave up on: each needs a person's look."""
    return (
        session.scalar(
            select(func.count())
            .select_from(InboundReceipt)
            .where(InboundReceipt.status == "unanswered")
        )
        or 0
    )
