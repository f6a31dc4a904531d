"""Segments, campaigns, the frozen audience of a send and the send ledger.

The send ledger (`campaign_sends`) has one row per (campaign, step, customer), written
before any provider is called: `queued -> claimed -> sent | failed | suppressed`. A row
is never deleted, so the ledger accounts for every customer the send started with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_store.base import Base, utcnow

CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")
SEND_STATES = ("queued", "claimed", "sent", "failed", "suppressed")


class Segment(Base):
    """A saved, named filter over the customers (engagement/filters.py reads `filter`)."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Campaign(Base):
    """A one-off broadcast to a segment (one step per channel body, `content`), or a
    journey (`kind` "journey"): a trigger and steps (`journey`), its send steps' bodies
    in `content` under the step names. A live journey stays `sending` until cancelled."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30), default="marketing")
    # {"sms": {"body": ...}, "email": {"subject": ..., "body": ...}}: Jinja2 templates.
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column()
    # Nothing is sent after it: what is left is suppressed with reason `deadline`.
    send_deadline: Mapped[datetime | None] = mapped_column()
    holdout_share: Mapped[float] = mapped_column(Float, default=0.0)
    conversion_days: Mapped[int] = mapped_column(default=14)
    source: Mapped[str | None] = mapped_column(String(500))  # "api", or the YAML file
    kind: Mapped[str] = mapped_column(String(20), default="broadcast", server_default="broadcast")
    # A journey's trigger and steps (engagement/journey_definitions.py), as defined.
    journey: Mapped[dict[str, Any] | None] = mapped_column()
    # An event-triggered journey has read the event log up to this id.
    trigger_cursor: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class CampaignRecipient(Base):
    """The segment as it was when the send started: later joiners do not change the run."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    holdout: Mapped[bool] = mapped_column(default=False)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignSend(Base):
    """One step of one campaign to one customer: the send ledger's row. A journey's rows
    carry their enrolment: one row per (enrolment, step), so a customer enrolled twice
    (two orders delivered) is sent each step once per enrolment."""

    __tablename__ = "campaign_sends"
    __table_args__ = (
        Index(
            "uq_campaign_sends_broadcast_step",
            "campaign_id",
            "step",
            "customer_id",
            unique=True,
            sqlite_where=text("enrolment_id IS NULL"),
            postgresql_where=text("enrolment_id IS NULL"),
        ),
        UniqueConstraint("enrolment_id", "step"),
        Index("ix_campaign_sends_due", "state", "next_attempt_at"),
        # The frequency cap counts a customer's recent sends across campaigns.
        Index("ix_campaign_sends_customer_sent", "customer_id", "sent_at"),
        Index("ix_campaign_sends_provider_message_id", "provider_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    step: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(30), default="marketing")
    state: Mapped[str] = mapped_column(String(20), default="queued")
    # Why a row is suppressed or failed, or what it waits for while queued.
    reason: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    # The provider may have taken the message although we did not hear (a crash after
    # the call, a timeout): the next try asks the provider before sending again.
    uncertain: Mapped[bool] = mapped_column(default=False)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("journey_enrolments.id"))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    sms_segments: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # The single-use unsubscribe token of this mail was used (RFC 8058 POST or page).
    unsubscribed_at: Mapped[datetime | None] = mapped_column()


class JourneyEnrolment(Base):
    """One customer walking one journey, once per trigger occurrence (`occurrence`: the
    event's id, the date, or "segment"), unique so a trigger seen twice enrols once.
    `position` is the next step to run and `due_at` when; the scheduler's step runner
    claims due rows and moves them on with a conditional UPDATE (one winner)."""

    __tablename__ = "journey_enrolments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", "occurrence"),
        Index("ix_journey_enrolments_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    occurrence: Mapped[str] = mapped_column(String(100))
    holdout: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | ended
    position: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why it ended: completed, replied, converted, stopped (a branch), cancelled.
    reason: Mapped[str | None] = mapped_column(String(40))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    # An `entered_segment` journey: when a trigger pass found the customer out of the
    # segment after this entry (None: still in it, as far as the passes saw).
    left_segment_at: Mapped[datetime | None] = mapped_column()


class WebCampaignMessage(Base):
    """A campaign message written into a customer's web chat conversation, and the one
    widget session that showed it.

    A web campaign message is for the customer, not for one browser (README, "Web
    chat"): it is written into their latest widget conversation, and a new widget
    session of theirs that the host page signed in carries it over, once, when no
    widget has shown it yet (crm_store/web_campaign_messages.py). `shown_session` is
    the first widget session that fetched it (its own session's replay, or the new
    session it was carried into, then `carried_interaction_id` is the copy written
    there); set once, by a conditional UPDATE, so two sessions cannot both show it."""

    __tablename__ = "web_campaign_messages"
    __table_args__ = (
        # A new session's claim reads the customer's recent messages no widget showed.
        Index(
            "ix_web_campaign_messages_unshown",
            "customer_id",
            "written_at",
            sqlite_where=text("shown_at IS NULL"),
            postgresql_where=text("shown_at IS NULL"),
        ),
    )

    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    shown_at: Mapped[datetime | None] = mapped_column()
    shown_session: Mapped[str | None] = mapped_column(String(320))  # a widget session id
    carried_interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))
