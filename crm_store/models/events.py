from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow


class LoggedEvent(Base):
    """One thing that happened in support (a conversation opened, a message, a handoff,
    a resolution, a survey answer), appended once and never edited: reports are computed
    from these rows, so any figure can be recomputed. `key` is unique per event, so a
    retried write or a second backfill adds nothing. `cycle` is the conversation's care
    cycle (1, then one more at each reopening); null for events outside a conversation."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_occurred", "occurred_at"),
        Index("ix_event_log_type_occurred", "type", "occurred_at"),
        Index("ix_event_log_conversation_cycle", "conversation_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str | None] = mapped_column(String(20))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    cycle: Mapped[int | None] = mapped_column()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # Who did it: customer, bot, agent or system; staff_id for an agent.
    actor: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # The one value reports group by, kept out of `data` so SQL can count it: a bot
    # reply's routing decisions ("answer", "answer,fallback"), a handoff's reason, a
    # rating's score.
    detail: Mapped[str | None] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SatisfactionSurvey(Base):
    """A 1-5 rating asked after one resolution: one per (conversation, care cycle), so a
    reopened and resolved again conversation is asked again. Credited to whoever
    resolved the cycle (`staff_id`, null when the bot did)."""

    __tablename__ = "satisfaction_surveys"
    __table_args__ = (UniqueConstraint("conversation_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    cycle: Mapped[int] = mapped_column()
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    resolved_by: Mapped[str] = mapped_column(String(10))  # bot | agent
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    score: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column()
