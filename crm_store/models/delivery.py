from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

# `failed`: refused for good (an opt-out, a 4xx); `dead`: retried until its window ended,
# kept for an admin to retry or discard; `discarded`: an admin gave a dead row up.
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "dead", "discarded")


class InboundReceipt(Base):
    """One inbound provider event, recorded once: a provider retry finds it and stops."""

    __tablename__ = "inbound_receipts"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        # The sweeper looks for `received` rows whose claim ran out.
        Index("ix_inbound_receipts_sweep", "status", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"))
    # received: logged, not answered yet; answered: the bot's replies (or silence) are
    # logged; unanswered: the sweeper gave up on it after its tries (see last_error).
    status: Mapped[str] = mapped_column(String(20), default="received")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column()
    # What answering it again needs besides the history: the sender's address and what
    # the adapter said about the reply (a preset reply, a note, a no-reply reason).
    address: Mapped[str | None] = mapped_column(String(320))
    reply_hints: Mapped[dict[str, Any] | None] = mapped_column()
    # Who may answer it until when: the intake first, then a sweeper that claimed it.
    # A `received` row past this time is stranded (its process died or its database
    # failed) and the sweeper answers it.
    claimed_until: Mapped[datetime | None] = mapped_column()
    sweep_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A logged outbound interaction waiting to be, or having been, handed to a provider."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # The per-address cap on automatic email replies counts recent rows.
        Index("ix_outbox_channel_address_created", "channel", "address", "created_at"),
        # ...and the cap on replies to pending contacts counts the last hour's rows.
        Index("ix_outbox_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # Indexed: providers' delivery status callbacks find the message by it.
    provider_message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the retry window began anew (an admin retried a dead row); unset: created_at.
    retry_from: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
