"""Slack's own state: events already taken (Slack retries) and the queue of Web API calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

# `failed`: Slack refused for good; `dead`: retried until its window ended (or its card's
# call died), kept for an admin to retry or discard; `discarded`: an admin gave it up.
SLACK_CALL_STATUSES = ("pending", "sending", "done", "failed", "dead", "discarded")
HANDOFF_CARD = "handoff_card"
# A second card of one handoff posted before cards were one per handoff (migration 0008):
# kept so a reply in its thread still finds the handoff.
HANDOFF_CARD_COPY = "handoff_card_copy"


class SlackEvent(Base):
    """One Events API delivery, by Slack's `event_id`: a retry finds it and stops."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # received -> handled, or failed with the error (kept for a person to see).
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackCall(Base):
    """One Slack Web API call to make (a card, a thread message, a card update).

    `lane` orders calls that must arrive in order (a handoff's thread); `uncertain` marks
    a `chat.postMessage` whose answer never came, to be looked for before it is repeated.
    """

    __tablename__ = "slack_calls"
    __table_args__ = (
        Index("ix_slack_calls_due", "status", "next_attempt_at"),
        # One card per handoff: however often a handoff is reported, one card is posted.
        Index(
            "uq_slack_calls_handoff_card",
            "handoff_id",
            unique=True,
            sqlite_where=text(f"purpose = '{HANDOFF_CARD}'"),
            postgresql_where=text(f"purpose = '{HANDOFF_CARD}'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(50))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    purpose: Mapped[str] = mapped_column(String(30))
    lane: Mapped[str | None] = mapped_column(String(50), index=True)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    uncertain: Mapped[bool] = mapped_column(default=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the retry window began anew (an admin retried a dead call); unset: created_at.
    retry_from: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
