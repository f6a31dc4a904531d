"""Finding who enters a live journey: one pass per journey, in the caller's transaction.

- `event`: the event log after the journey's cursor (it starts at the newest event when
  the journey goes live: events from before are history, not triggers, so switching on
  an `order.delivered` journey does not write to every past buyer). Each event of the
  type about a customer in the journey's segment enrols them once (occurrence
  `event:<id>`). Events logged while a journey is paused enrol it when resumed.
- `entered_segment`: every customer in the segment who has not entered yet, once
  (occurrence `segment`): those already in it when the journey goes live enter too. A
  journey meant for newcomers says so in its segment (created in the last 7 days).
- `date`: customers of the segment whose `attributes.<date>` (an ISO date) is between
  today and `days_before` days ahead (UTC dates) enter once for that date (occurrence
  `date:<date>`): next year's renewal date enrols again.

The holdout is drawn per customer (engagement/holdout.py), so a customer is in or out
of a journey's holdout every time they enter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from crm_store import journey_enrolments
from crm_store.campaigns import CampaignRecord, get_segment
from crm_store.models import Campaign, Customer, JourneyEnrolment, LoggedEvent
from engagement.filters import audience
from engagement.holdout import in_holdout

__all__ = ["enrol_new", "start_cursor"]

BATCH = 2000


def start_cursor(session: Session) -> int:
    """Where an event journey going live starts reading: after the newest event."""
    return int(session.scalar(select(func.max(LoggedEvent.id))) or 0)


def enrol_new(session: Session, journey: CampaignRecord, *, salt: str, now: datetime) -> int:
    """Enrol whoever the trigger found since the last pass; returns how many."""
    assert journey.journey is not None
    trigger = journey.journey["trigger"]
    segment = get_segment(session, journey.segment_id)
    assert segment is not None  # a foreign key
    members = audience(segment.filter, now=now, dialect=session.get_bind().dialect.name)
    found: list[tuple[int, str]]
    if "event" in trigger:
        found = _events(session, journey, trigger["event"], members)
    elif trigger.get("entered_segment"):
        entered = exists().where(
            JourneyEnrolment.campaign_id == journey.id,
            JourneyEnrolment.customer_id == Customer.id,
            JourneyEnrolment.occurrence == "segment",
        )
        found = [(c, "segment") for c in session.scalars(members.where(~entered).limit(BATCH))]
    else:
        found = _dates(session, members, trigger["date"], trigger.get("days_before", 0), now)
    share = journey.holdout_share
    return sum(
        journey_enrolments.enrol(
            session, journey.id, c, occurrence, holdout=in_holdout(c, share, salt), now=now
        )
        for c, occurrence in found
    )


def _events(
    session: Session, journey: CampaignRecord, kind: str, members: Select[tuple[int]]
) -> list[tuple[int, str]]:
    rows = session.execute(
        select(LoggedEvent.id, LoggedEvent.customer_id)
        .where(
            LoggedEvent.type == kind,
            LoggedEvent.id > (journey.trigger_cursor or 0),
            LoggedEvent.customer_id.is_not(None),
        )
        .order_by(LoggedEvent.id)
        .limit(BATCH)
    ).all()
    if not rows:
        return []
    allowed = set(session.scalars(members.where(Customer.id.in_({int(c) for _, c in rows}))))
    session.execute(
        update(Campaign).where(Campaign.id == journey.id).values(trigger_cursor=rows[-1][0])
    )
    return [(int(c), f"event:{event_id}") for event_id, c in rows if c in allowed]


def _dates(
    session: Session, members: Select[tuple[int]], attribute: str, days_before: int, now: datetime
) -> list[tuple[int, str]]:
    """The date is read in Python, a chunk of the segment at a time (SQLite and
    PostgreSQL read dates inside JSON differently); the scheduler runs this pass
    every few minutes, not on every tick (bot/delivery/campaign_scheduler.py)."""
    today = now.date()
    horizon = today + timedelta(days=days_before)
    found = []
    last = 0
    while True:
        ids = list(session.scalars(members.where(Customer.id > last).limit(BATCH)))
        rows = session.execute(
            select(Customer.id, Customer.attributes).where(Customer.id.in_(ids))
        ).all()
        for customer_id, attributes in rows:
            value = (attributes or {}).get(attribute)
            try:
                when = date.fromisoformat(str(value)[:10]) if value else None
            except ValueError:
                continue  # not a date: nothing to remind of
            if when is not None and today <= when <= horizon:
                found.append((int(customer_id), f"date:{when.isoformat()}"))
        if len(ids) < BATCH:
            return found
        last = ids[-1]
