"""Journey enrolments: one customer walking one journey, once per trigger occurrence.

Enrolling is INSERT ... ON CONFLICT DO NOTHING on (journey, customer, occurrence), so a
trigger seen twice (a second scheduler, a replayed pass) enrols once. The step runner
takes due enrolments with `FOR UPDATE SKIP LOCKED` on PostgreSQL and moves them on in
the same transaction: two processes never advance one enrolment at once, and a send
step's ledger row is unique per (enrolment, step), which holds even if they did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store.models import Campaign, CampaignRecipient, CampaignSend, JourneyEnrolment

__all__ = [
    "Enrolment",
    "claim_due",
    "end",
    "end_all",
    "enrol",
    "move",
    "queue_step",
]


@dataclass(frozen=True, slots=True)
class Enrolment:
    id: int
    campaign_id: int
    customer_id: int
    occurrence: str
    holdout: bool
    position: int
    entered_at: datetime


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on both."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def enrol(
    session: Session,
    campaign_id: int,
    customer_id: int,
    occurrence: str,
    *,
    holdout: bool,
    now: datetime,
) -> bool:
    """Enrol the customer for this occurrence; False when already enrolled for it. The
    customer is also a recipient of the journey (its report and holdout lift count
    recipients), once however often they enter."""
    added = session.execute(
        _insert(session)(JourneyEnrolment)
        .values(
            campaign_id=campaign_id,
            customer_id=customer_id,
            occurrence=occurrence[:100],
            holdout=holdout,
            state="active",
            position=0,
            due_at=now,
            entered_at=now,
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "customer_id", "occurrence"])
    ).rowcount
    if added:
        session.execute(
            _insert(session)(CampaignRecipient)
            .values(
                campaign_id=campaign_id, customer_id=customer_id, holdout=holdout, frozen_at=now
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "customer_id"])
        )
    return bool(added)


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Enrolment]:
    """Active enrolments of live (`sending`) journeys whose next step is due, locked for
    this transaction (others skip them)."""
    live = select(Campaign.id).where(Campaign.kind == "journey", Campaign.status == "sending")
    rows = session.scalars(
        select(JourneyEnrolment)
        .where(
            JourneyEnrolment.state == "active",
            JourneyEnrolment.due_at <= now,
            JourneyEnrolment.campaign_id.in_(live),
        )
        .order_by(JourneyEnrolment.due_at, JourneyEnrolment.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=JourneyEnrolment)
    ).all()
    return [
        Enrolment(
            r.id, r.campaign_id, r.customer_id, r.occurrence, r.holdout, r.position, r.entered_at
        )
        for r in rows
    ]


def move(session: Session, enrolment: Enrolment, *, position: int, due_at: datetime) -> bool:
    """Move on from the position read (a conditional UPDATE: False if it moved since)."""
    return bool(
        session.execute(
            update(JourneyEnrolment)
            .where(
                JourneyEnrolment.id == enrolment.id,
                JourneyEnrolment.state == "active",
                JourneyEnrolment.position == enrolment.position,
            )
            .values(position=position, due_at=due_at)
        ).rowcount
    )


def end(
    session: Session, enrolment_id: int, *, reason: str, now: datetime, withdraw: bool = False
) -> None:
    """End the enrolment. With `withdraw`, its sends still queued (held by quiet hours)
    are suppressed with the same reason: a customer who replied or ordered gets no
    more of this journey. Completing or a branch's stop leaves them to go out."""
    session.execute(
        update(JourneyEnrolment)
        .where(JourneyEnrolment.id == enrolment_id, JourneyEnrolment.state == "active")
        .values(state="ended", reason=reason, ended_at=now)
    )
    if not withdraw:
        return
    session.execute(
        update(CampaignSend)
        .where(CampaignSend.enrolment_id == enrolment_id, CampaignSend.state == "queued")
        .values(state="suppressed", reason=reason, detail=f"the journey ended: {reason}")
    )


def end_all(session: Session, campaign_id: int, *, reason: str, now: datetime) -> int:
    """End every active enrolment of a journey (it was cancelled)."""
    return session.execute(
        update(JourneyEnrolment)
        .where(JourneyEnrolment.campaign_id == campaign_id, JourneyEnrolment.state == "active")
        .values(state="ended", reason=reason, ended_at=now)
    ).rowcount


def queue_step(
    session: Session,
    enrolment: Enrolment,
    *,
    step: str,
    channel: str,
    purpose: str,
    now: datetime,
) -> None:
    """The send ledger row of one send step: `queued`, or `suppressed(holdout)`. The
    sender then treats it like any broadcast row (consent, cap, quiet hours at send)."""
    session.execute(
        insert(CampaignSend).values(
            campaign_id=enrolment.campaign_id,
            enrolment_id=enrolment.id,
            step=step,
            customer_id=enrolment.customer_id,
            channel=channel,
            purpose=purpose,
            state="suppressed" if enrolment.holdout else "queued",
            reason="holdout" if enrolment.holdout else None,
            attempts=0,
            next_attempt_at=now,
            uncertain=False,
            created_at=now,
        )
    )
