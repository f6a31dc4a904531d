"""The step runner: moves due journey enrolments through their steps.

One pass claims due enrolments (crm_store/journey_enrolments.py: locked, skipped by
other processes) and, in the same transaction, runs each from its position: a send
step writes its send ledger row (the campaign sender then checks consent, the cap and
quiet hours at send time, exactly as for a broadcast) and goes on; a wait sets the
enrolment due later and stops there; a branch evaluates its filter for this customer
and jumps forward or stops. Before each step the stop conditions are checked: a
customer who wrote to us (replied) or ordered (converted) since entering leaves the
journey, and their sends still queued are suppressed with that reason.

A wait counts from when the step before it was queued, not from when it was sent:
a message held by quiet hours does not push the rest of the journey back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crm_store import campaigns, journey_enrolments
from crm_store.journey_enrolments import Enrolment
from crm_store.models import Customer, Interaction, Order
from crm_store.orders import NOT_PURCHASES
from engagement.filters import audience
from engagement.journey_definitions import STOP, Wait

__all__ = ["advance_due"]


def _stop_reason(session: Session, enrolment: Enrolment, stop_when: list[str]) -> str | None:
    since = enrolment.entered_at
    if "replied" in stop_when and session.scalar(
        select(
            exists().where(
                Interaction.customer_id == enrolment.customer_id,
                Interaction.author == "customer",
                Interaction.created_at > since,
            )
        )
    ):
        return "replied"
    if "converted" in stop_when and session.scalar(
        select(
            exists().where(
                Order.customer_id == enrolment.customer_id,
                Order.status.not_in(NOT_PURCHASES),
                Order.placed_at > since,
            )
        )
    ):
        return "converted"
    return None


def _matches(session: Session, customer_id: int, when: dict[str, Any], now: datetime) -> bool:
    query = audience(when, now=now, dialect=session.get_bind().dialect.name)
    return session.scalar(query.where(Customer.id == customer_id).limit(1)) is not None


def _run(
    session: Session,
    enrolment: Enrolment,
    journey: dict[str, Any],
    purpose: str,
    now: datetime,
) -> tuple[str, int]:
    """Run from the enrolment's position until a wait or the end; returns what it did
    and how many sends it queued."""
    steps: list[dict[str, Any]] = journey["steps"]
    names = [step["name"] for step in steps]
    position = enrolment.position
    queued = 0
    while position < len(steps):
        reason = _stop_reason(session, enrolment, journey.get("stop_when", []))
        if reason is not None:
            journey_enrolments.end(session, enrolment.id, reason=reason, now=now, withdraw=True)
            return reason, queued
        step = steps[position]
        if step.get("send"):
            journey_enrolments.queue_step(
                session,
                enrolment,
                step=step["name"],
                channel=step["send"],
                purpose=purpose,
                now=now,
            )
            position += 1
            queued += 1
        elif step.get("wait") is not None:
            due = now + Wait.model_validate(step["wait"]).duration
            journey_enrolments.move(session, enrolment, position=position + 1, due_at=due)
            return "waiting", queued
        else:
            branch = step["branch"]
            if not _matches(session, enrolment.customer_id, branch["when"], now):
                position += 1
            elif branch["then"] == STOP:
                journey_enrolments.end(session, enrolment.id, reason="stopped", now=now)
                return "stopped", queued
            else:
                position = names.index(branch["then"])
    journey_enrolments.end(session, enrolment.id, reason="completed", now=now)
    return "completed", queued


def advance_due(session: Session, *, now: datetime, limit: int = 500) -> dict[str, int]:
    """One pass over the due enrolments, in the caller's transaction (which holds their
    locks until it commits). Returns how many ended each way or were left waiting, and
    the sends queued (`sends`)."""
    done: dict[str, int] = {"sends": 0}
    journeys: dict[int, campaigns.CampaignRecord] = {}
    for enrolment in journey_enrolments.claim_due(session, now=now, limit=limit):
        if enrolment.campaign_id not in journeys:
            found = campaigns.get_campaign(session, enrolment.campaign_id)
            assert found is not None and found.journey is not None  # claim_due: live journeys
            journeys[enrolment.campaign_id] = found
        journey = journeys[enrolment.campaign_id]
        assert journey.journey is not None
        outcome, queued = _run(session, enrolment, journey.journey, journey.purpose, now)
        done[outcome] = done.get(outcome, 0) + 1
        done["sends"] += queued
    return done
