"""The inbound-dedupe record: one row per provider event, so retries change nothing."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import InboundReceipt
from crm_store.records import ReceiptRecord


def _record(row: InboundReceipt) -> ReceiptRecord:
    return ReceiptRecord(
        id=row.id,
        channel=row.channel,
        provider_message_id=row.provider_message_id,
        conversation_id=row.conversation_id,
        interaction_id=row.interaction_id,
        status=row.status,
    )


def find_receipt(session: Session, channel: str, provider_message_id: str) -> ReceiptRecord | None:
    row = session.scalars(
        select(InboundReceipt).where(
            InboundReceipt.channel == channel,
            InboundReceipt.provider_message_id == provider_message_id,
        )
    ).one_or_none()
    return _record(row) if row is not None else None


def add_receipt(
    session: Session,
    *,
    channel: str,
    provider_message_id: str,
    conversation_id: int,
    interaction_id: int,
) -> ReceiptRecord:
    """Insert the receipt; a concurrent duplicate fails here on the unique key."""
    row = InboundReceipt(
        channel=channel,
        provider_message_id=provider_message_id,
        conversation_id=conversation_id,
        interaction_id=interaction_id,
    )
    session.add(row)
    session.flush()
    return _record(row)


def mark_answered(session: Session, receipt_id: int) -> bool:
    """Claim the right to log the answer. Only the first caller gets True."""
    result = session.execute(
        update(InboundReceipt)
        .where(InboundReceipt.id == receipt_id, InboundReceipt.status == "received")
        .values(status="answered", answered_at=utcnow())
    )
    return result.rowcount == 1
