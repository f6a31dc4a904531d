"""Finding who enters a live journey: one pass per journey, in the caller's transaction.

- `event`: the event log after the journey's cursor (it starts at the newest event when
  the journey goes live: events from before are history, not triggers, so switching on
  an `order.delivered` journey does not write to every past buyer). Each event of the
  type about a customer in the journey's segment enrols them once (occurrence
  `event:<id>`). Events logged while a journey is paused enrol it when resumed.
- `entered_segment`: every customer in the segment who is not in it already enters
  (occurrence `segment`): those already in it when the journey goes live enter too. A
  journey meant for newcomers says so in its segment (created in the last 7 days).
  Re-entry (decided here): a customer who leaves the segment and comes back enters
  again when their last entry is at least `again_after_days` old (30 by default) and
  that walk of the journey has ended (occurrence `segment:again:<last enrolment id>`,
  so two passes at once still enrol once). Why: a re-engagement journey on "at risk"
  should reach a customer who lapses again a year after the first time, but not one
  who flaps in and out of the segment the same week (an order, a refund, a segment
  edge). A re-entry that comes too soon is absorbed into the last entry, as if they
  had never left: staying in the segment afterwards never enrols them, only leaving
  again and coming back once the time has passed. Each pass notes who left (the
  enrolment's `left_segment_at`), so "left" means a pass saw them out of the segment.
- `date`: customers of the segment whose `attributes.<date>` (an ISO date) is between
  today and `days_before` days ahead (UTC dates) enter once for that date (occurrence
  `date:<date>`): next year's renewal date enrols again.

The holdout is drawn per customer (engagement/holdout.py), so a customer is in or out
of a journey's holdout every time they enter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from crm_store import journey_enrolments
from crm_store.campaigns import CampaignRecord, get_segment
from crm_store.models import Campaign, Customer, JourneyEnrolment, LoggedEvent
from engagement.filters import audience
from engagement.holdout import in_holdout

__all__ = ["enrol_new", "start_cursor"]

BATCH = 2000
AGAIN_AFTER_DAYS = 30  # an `entered_segment` journey's default gap before a re-entry counts


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
        again_after = timedelta(days=trigger.get("again_after_days", AGAIN_AFTER_DAYS))
        found = _segment_entries(session, journey.id, members, again_after, now)
    else:
        found = _dates(session, members, trigger["date"], trigger.get("days_before", 0), now)
    share = journey.holdout_share
    return sum(
        journey_enrolments.enrol(
            session, journey.id, c, occurrence, holdout=in_holdout(c, share, salt), now=now
        )
        for c, occurrence in found
    )


def _segment_entries(
    session: Session,
    journey_id: int,
    members: Select[tuple[int]],
    again_after: timedelta,
    now: datetime,
) -> list[tuple[int, str]]:
    """Note who left the segment since their last entry, then who is in it and not
    inside already: first entries, re-entries old enough to count, and re-entries
    absorbed (too soon, or their last walk still going)."""
    of_segment = and_(
        JourneyEnrolment.campaign_id == journey_id,
        or_(
            JourneyEnrolment.occurrence == "segment",
            JourneyEnrolment.occurrence.startswith("segment:"),
        ),
    )
    session.execute(
        update(JourneyEnrolment)
        .where(
            of_segment,
            JourneyEnrolment.left_segment_at.is_(None),
            JourneyEnrolment.customer_id.not_in(members.order_by(None)),
        )
        .values(left_segment_at=now)
        .execution_options(synchronize_session=False)
    )
    inside = exists().where(
        of_segment,
        JourneyEnrolment.customer_id == Customer.id,
        JourneyEnrolment.left_segment_at.is_(None),
    )
    arriving = list(session.scalars(members.where(~inside).limit(BATCH)))
    if not arriving:
        return []
    last: dict[int, tuple[int, str, datetime]] = {}
    for enrolment_id, customer_id, state, entered_at in session.execute(
        select(
            JourneyEnrolment.id,
            JourneyEnrolment.customer_id,
            JourneyEnrolment.state,
            JourneyEnrolment.entered_at,
        )
        .where(of_segment, JourneyEnrolment.customer_id.in_(arriving))
        .order_by(JourneyEnrolment.id)
    ):
        last[customer_id] = (enrolment_id, state, _aware(entered_at))
    found, absorbed = [], []
    for customer_id in arriving:
        if customer_id not in last:
            found.append((customer_id, "segment"))
            continue
        enrolment_id, state, entered_at = last[customer_id]
        if state == "ended" and entered_at <= now - again_after:
            found.append((customer_id, f"segment:again:{enrolment_id}"))
        else:
            absorbed.append(enrolment_id)
    if absorbed:
        session.execute(
            update(JourneyEnrolment)
            .where(JourneyEnrolment.id.in_(absorbed))
            .values(left_segment_at=None)
        )
    return found


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC times."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
