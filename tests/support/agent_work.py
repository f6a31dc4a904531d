"""Agents at work over a few weeks, for the agents' figures: random conversations (a
seeded generator) handed off, answered, written to again, followed up and resolved,
logged through the real story writer (demo/support_stories.py, which logs a cycle's
handoff after its messages, so the late-event path is taken too); and the agents'
figures as the report computed them before migration 0024, from the event log of the
range alone, as the reference the kept waits are checked against."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from crm_store import Database
from crm_store.models import Customer, Identity, StaffUser
from crm_store.models import LoggedEvent as E
from demo.support_stories import Cycle, Said, Story, write_story

AGENTS = ("Ada", "Bo", "Cy")


def write_agent_work(database: Database, seed: int, days: list[date]) -> None:
    """Two conversations a day on each of `days`, each done within its day."""
    rng = random.Random(seed)
    with database.transaction() as session:
        staff = [
            StaffUser(name=n, email=f"{n}@acme.test", role="agent", api_token_hash=n[0] * 64)
            for n in AGENTS
        ]
        session.add_all(staff)
        session.flush()
        for n, day in enumerate(d for d in days for _ in range(2)):
            channel = rng.choice(("web", "sms"))
            customer = Customer(name=f"Customer {n}", attributes={})
            session.add(customer)
            session.flush()
            identity = Identity(customer_id=customer.id, channel=channel, address=f"c-{n}")
            session.add(identity)
            session.flush()
            start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
            start += timedelta(minutes=rng.randint(0, 600))
            cycles = [_cycle(rng, start, [s.id for s in staff])]
            if rng.random() < 0.3:  # written to again after the resolution
                again = cycles[0].resolved_at + timedelta(minutes=rng.randint(5, 60))
                cycles.append(_cycle(rng, again, [s.id for s in staff]))
            write_story(session, Story(customer.id, identity.id, channel, cycles))


def _cycle(rng: random.Random, start: datetime, staff: list[int]) -> Cycle:
    at = start
    messages = [Said(at, "customer", "hello?")]
    at += timedelta(seconds=5)
    messages.append(Said(at, "bot", "I am not sure.", "fallback"))
    handoff = at + timedelta(seconds=rng.randint(1, 300))
    agent = rng.choice(staff)
    at = handoff
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:  # the customer writes while waiting or after a reply
            at += timedelta(seconds=rng.randint(1, 900))
            messages.append(Said(at, "customer", "any news?"))
        for _ in range(rng.choice((1, 1, 2))):  # sometimes a follow-up in a row
            at += timedelta(seconds=rng.randint(1, 1800))
            messages.append(Said(at, "agent", "On it.", staff_id=agent))
    resolved = at + timedelta(minutes=rng.randint(1, 60))
    return Cycle(
        messages,
        handoff_at=handoff,
        claimed_at=handoff + timedelta(seconds=1),
        agent_id=agent,
        resolved_at=resolved,
        resolved_by="agent",
    )


_ENDS = ("conversation.resolved", "handoff.returned")
_AGENT_REPLY = and_(E.type == "message.out", E.actor == "agent")


def agents_from_the_range_log(session: Session, period: ReportPeriod) -> list[dict[str, Any]]:
    """The agents' figures as analytics/support/agents.py computed them before 0024: each
    conversation's events of the range replayed in order, a wait begun before the range
    not counted."""
    in_period = [E.occurred_at >= period.since, E.occurred_at < period.until]
    if period.channel is not None:
        in_period.append(E.channel == period.channel)
    worked = select(E.conversation_id).where(_AGENT_REPLY, *in_period)
    query = (
        select(E.conversation_id, E.cycle, E.type, E.staff_id, E.occurred_at)
        .where(
            E.conversation_id.in_(worked),
            or_(_AGENT_REPLY, E.type.in_(("message.in", "handoff.opened", *_ENDS))),
            *in_period,
        )
        .order_by(E.conversation_id, E.occurred_at, E.id)
    )
    cycles: dict[int, set[tuple[int, int]]] = defaultdict(set)
    replies: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    current, with_person, waiting = None, False, None
    for conversation_id, cycle, kind, staff_id, when in session.execute(query):
        if conversation_id != current:
            current, with_person, waiting = conversation_id, False, None
        if kind == "handoff.opened":
            with_person, waiting = True, waiting or when
        elif kind in _ENDS:
            with_person, waiting = False, None
        elif kind == "message.in":
            if with_person and waiting is None:
                waiting = when
        elif staff_id is not None:
            cycles[staff_id].add((conversation_id, cycle))
            replies[staff_id] += 1
            with_person = True
            if waiting is not None:
                waits[staff_id].append(max(0.0, (when - waiting).total_seconds()))
                waiting = None
    names = dict(session.execute(select(StaffUser.id, StaffUser.name)).all())
    return sorted(
        (
            {
                "agent": names[staff_id],
                "conversations": len(cycles[staff_id]),
                "replies": count,
                "median_reply_seconds": (
                    round(statistics.median(waits[staff_id]), 1) if waits[staff_id] else None
                ),
            }
            for staff_id, count in replies.items()
        ),
        key=lambda row: (-row["conversations"], row["agent"]),
    )
