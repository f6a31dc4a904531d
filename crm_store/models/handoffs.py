from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

# `superseded`: a second live handoff of one conversation, closed when handoffs became
# one per conversation (migration 0008); its card's thread tells agents where to go.
HANDOFF_STATUSES = ("queued", "claimed", "resolved", "returned_to_bot", "superseded")
LIVE_HANDOFF = "status IN ('queued', 'claimed')"


class Handoff(Base):
    """The bot handing a conversation to a person, with why and how sure it was."""

    __tablename__ = "handoffs"
    __table_args__ = (
        # One live handoff per conversation: concurrent requests for a person cannot
        # open a second one (and so cannot post a second card).
        Index(
            "uq_handoffs_live_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(LIVE_HANDOFF),
            postgresql_where=text(LIVE_HANDOFF),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(50))
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column()
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    claimed_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    slack_channel: Mapped[str | None] = mapped_column(String(50))
    slack_thread_ts: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()


class ReplyKey(Base):
    """An agent's reply sent through the staff API under an `Idempotency-Key`: a retry
    of the same request finds it and sends nothing more (crm_store/reply_keys.py).
    Kept a day, long enough for any client's retries. No foreign key to the handoff:
    erasing a customer's handoffs must not wait on these."""

    __tablename__ = "reply_keys"
    __table_args__ = (Index("uq_reply_keys_staff_key", "staff_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    key: Mapped[str] = mapped_column(String(200))
    handoff_id: Mapped[int] = mapped_column()
    # sha256 of the request (note or reply, and its text): the same key on another
    # request is refused rather than taken for a retry.
    request: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
