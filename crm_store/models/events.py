from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

# A bot reply that fell back (one of its decisions): the knowledge report's latest
# fallbacks are read by a partial index of these (analytics/support/knowledge.py).
FALLBACK = text("type = 'message.out' AND actor = 'bot' AND detail LIKE '%fallback%'")


class LoggedEvent(Base):
    """One thing that happened in support (a conversation opened, a message, a handoff,
    a resolution, a survey answer), appended once and never edited: reports are computed
    from these rows, so any figure can be recomputed. `key` is unique per event, so a
    retried write or a second backfill adds nothing. `cycle` is the conversation's care
    cycle (1, then one more at each reopening); null for events outside a conversation."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_occurred", "occurred_at"),
        # With who, where and the detail after the time, so the reports' counts of a
        # range (replies by decision, handoffs by reason) read the index alone.
        Index("ix_event_log_type_occurred", "type", "occurred_at", "actor", "channel", "detail"),
        Index("ix_event_log_conversation_cycle", "conversation_id", "cycle"),
        Index(
            "ix_event_log_fallbacks",
            "occurred_at",
            "channel",
            postgresql_where=FALLBACK,
            sqlite_where=FALLBACK,
        ),
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


class CareCycle(Base):
    """One care cycle of a conversation (its opening or a reopening, to its resolution),
        kept up to date from the event log in the transaction of each event that changes it
        (crm_store/care_cycles.py), so the support report reads a 90-day range of cycles by
        index instead of grouping every event of the range on each request. The first time
        of each kind of event is kept beside its count, because the report counts only what
        happened up to 30 days after its range (analytics/support/period.py): "did the bot
        take part by then" is `first_bot_reply_at < then`. Ids, times, counts and the survey's
    score only."""

    __tablename__ = "care_cycles"
    __table_args__ = (
        Index("ix_care_cycles_started", "started_at"),
        Index("ix_care_cycles_channel_started", "channel", "started_at"),
        Index("ix_care_cycles_resolved", "resolved_at"),
        Index("ix_care_cycles_survey_asked", "survey_asked_at"),
        UniqueConstraint("conversation_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    cycle: Mapped[int] = mapped_column()
    channel: Mapped[str | None] = mapped_column(String(20))
    # Null only while the cycle's opening (or reopening) is not logged.
    started_at: Mapped[datetime | None] = mapped_column()
    first_bot_reply_at: Mapped[datetime | None] = mapped_column()
    # The bot's last reply before the resolution (so far, while unresolved): the answer
    # a bot-resolved cycle's resolution time ends at (analytics/support/cycles.py).
    last_bot_reply_at: Mapped[datetime | None] = mapped_column()
    first_person_reply_at: Mapped[datetime | None] = mapped_column()
    first_handoff_at: Mapped[datetime | None] = mapped_column()
    bot_replies: Mapped[int] = mapped_column(default=0)
    agent_replies: Mapped[int] = mapped_column(default=0)
    handoffs: Mapped[int] = mapped_column(default=0)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_bot: Mapped[bool] = mapped_column(default=False)
    # The next cycle's start: the conversation was written to again after resolving.
    reopened_at: Mapped[datetime | None] = mapped_column()
    # The cycle's satisfaction survey (one per cycle): when asked, and the 1-5 answer.
    survey_asked_at: Mapped[datetime | None] = mapped_column()
    survey_score: Mapped[int | None] = mapped_column()


class AgentReply(Base):
    """One reply of an agent, with how long the customer had waited for it, worked out
    when the reply's event was logged (crm_store/reply_waits.py), so the agents' figures
    of a range read that range's replies by index instead of replaying the events of
    every conversation agents worked in. `waited_since` is null for a reply that ended
    no wait (a second reply in a row). Ids and times only, like the event log."""

    __tablename__ = "agent_replies"
    __table_args__ = (
        Index("ix_agent_replies_replied", "replied_at"),
        Index("ix_agent_replies_channel_replied", "channel", "replied_at"),
        # A cycle's replies, worked out again when an earlier event is logged late.
        Index("ix_agent_replies_conversation_cycle", "conversation_id", "cycle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    cycle: Mapped[int] = mapped_column()
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    channel: Mapped[str | None] = mapped_column(String(20))
    replied_at: Mapped[datetime] = mapped_column()
    waited_since: Mapped[datetime | None] = mapped_column()


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
