from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

OWNERS = ("bot", "queued_for_agent", "agent")
STATUSES = ("open", "resolved")


class Conversation(Base):
    """A thread of messages with one customer over one identity.

    Who owns it (`owner`) is kept apart from its lifecycle (`status`).
    """

    __tablename__ = "conversations"
    __table_args__ = (
        # At most one open conversation per identity: concurrent first messages
        # from a new address cannot open two.
        Index(
            "uq_conversations_open_identity",
            "identity_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(20), default="bot")
    status: Mapped[str] = mapped_column(String(20), default="open")
    assigned_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    subject: Mapped[str | None] = mapped_column(String(300))
    last_seq: Mapped[int] = mapped_column(default=0)
    # The care cycle: 1, one more each time a resolved conversation reopens (event log).
    cycle: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The dialogue's memory between turns: slots and the active form (Rasa's names).
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class Interaction(Base):
    """One message in or out, in a customer's interaction history."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        Index("ix_interactions_customer_created", "customer_id", "created_at"),
        # Email threading finds the conversation a reply answers by Message-ID.
        Index("ix_interactions_provider_message_id", "provider_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    seq: Mapped[int] = mapped_column()
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(10))  # customer | bot | agent | system
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column()
    sources: Mapped[list[Any]] = mapped_column(default=list)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"), index=True)
    # Outbound only: pending -> sent (-> delivered) or failed.
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
