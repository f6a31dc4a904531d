"""The inbound-dedupe record: one row per provider event, so retries change nothing."""

from __future__ import annotations

import functools
import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import InboundReceipt
from crm_store.records import ReceiptRecord

# A turn reads and writes its receipt with Core statements on the table: the ORM's
# object loading and flush cost a turn more CPU than the SQL (bench/turn_cost.py).
_RECEIPTS = InboundReceipt.__table__
# What a ReceiptRecord holds: the columns the turn's statements read back.
_SHOWN = [
    _RECEIPTS.c[name]
    for name in (
        "id",
        "channel",
        "provider_message_id",
        "conversation_id",
        "interaction_id",
        "status",
    )
]


def _record(row: InboundReceipt | Row[Any]) -> ReceiptRecord:
    return ReceiptRecord(
        id=row.id,
        channel=row.channel,
        provider_message_id=row.provider_message_id,
        conversation_id=row.conversation_id,
        interaction_id=row.interaction_id,
        status=row.status,
    )


def erased_message_id(channel: str, provider_message_id: str) -> str:
    """What an erased customer's receipt keeps of the provider's message id: a hash (a
    mail's Message-ID can hold words or a domain), still found by a replay."""
    digest = hashlib.sha256(f"{channel}:{provider_message_id}".encode()).hexdigest()
    return f"erased:{digest}"


def find_receipt(session: Session, channel: str, provider_message_id: str) -> ReceiptRecord | None:
    row = session.execute(
        _find(),
        {
            "channel": channel,
            "given": provider_message_id,
            "erased": erased_message_id(channel, provider_message_id),
        },
    ).first()
    return _record(row) if row is not None else None


@functools.cache
def _find() -> Any:
    """Built once, as each of a turn's statements on receipts (the ones below)."""
    ids = (bindparam("given"), bindparam("erased"))
    return select(*_SHOWN).where(
        _RECEIPTS.c.channel == bindparam("channel"), _RECEIPTS.c.provider_message_id.in_(ids)
    )


@functools.cache
def _add() -> Any:
    return insert(_RECEIPTS).returning(*_SHOWN)


@functools.cache
def _answer() -> Any:
    return (
        update(_RECEIPTS)
        .where(
            _RECEIPTS.c.id == bindparam("receipt_id"),
            _RECEIPTS.c.status.in_(("received", "unanswered")),
        )
        .values(
            status="answered",
            answered_at=bindparam("answered_at", type_=_RECEIPTS.c.answered_at.type),
            claimed_until=None,
        )
    )


def add_receipt(
    session: Session,
    *,
    channel: str,
    provider_message_id: str,
    conversation_id: int,
    interaction_id: int,
    address: str | None = None,
    reply_hints: dict[str, Any] | None = None,
    answer_within: timedelta | None = None,
) -> ReceiptRecord:
    """Insert the receipt; a concurrent duplicate fails here on the unique key.

    `answer_within` is the intake's own lease: unanswered after it, the message counts
    as stranded and the sweeper answers it (crm_store/stranded.py). `address` and
    `reply_hints` are what that answer needs besides the history."""
    now = utcnow()
    row = session.execute(
        _add(),
        {
            "channel": channel,
            "provider_message_id": provider_message_id,
            "conversation_id": conversation_id,
            "interaction_id": interaction_id,
            "received_at": now,
            "address": address,
            "reply_hints": reply_hints or None,
            "claimed_until": now + answer_within if answer_within is not None else None,
        },
    ).one()
    return _record(row)


def mark_answered(session: Session, receipt_id: int) -> bool:
    """Claim the right to log the answer. Only the first caller gets True.

    A message the sweeper gave up on (`unanswered`) may still be answered once, by a
    provider retry: that is what the retry is for."""
    result = session.execute(_answer(), {"receipt_id": receipt_id, "answered_at": utcnow()})
    return result.rowcount == 1
