"""Agents' workload and how long customers waited for their replies.

A customer starts waiting for a person when the conversation is handed off, or when
they write while a person has it and nobody is already waiting on a reply; the wait
ends at the next reply of an agent, which is credited to that agent. Follow-ups (an
agent writing twice in a row) are replies but not answers to a wait."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from crm_store.models import LoggedEvent as E
from crm_store.models import StaffUser

__all__ = ["agent_workload"]

_ENDS = ("conversation.resolved", "handoff.returned")
_AGENT_REPLY = and_(E.type == "message.out", E.actor == "agent")


def agent_workload(session: Session, period: ReportPeriod) -> list[dict[str, Any]]:
    """Per agent who replied in the period: conversations (care cycles) replied in,
    replies, and the median wait their replies ended."""
    in_period = [E.occurred_at >= period.since, E.occurred_at < period.until]
    if period.channel is not None:
        in_period.append(E.channel == period.channel)
    worked = select(E.conversation_id).where(_AGENT_REPLY, *in_period)
    query = (
        select(E.conversation_id, E.cycle, E.type, E.actor, E.staff_id, E.occurred_at)
        .where(
            E.conversation_id.in_(worked),
            or_(
                _AGENT_REPLY,
                E.type.in_(("message.in", "handoff.opened", *_ENDS)),
            ),
            *in_period,
        )
        .order_by(E.conversation_id, E.occurred_at, E.id)
    )
    cycles: dict[int, set[tuple[int, int]]] = defaultdict(set)
    replies: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    current, with_person, waiting = None, False, None
    for conversation_id, cycle, kind, _actor, staff_id, when in session.execute(query):
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
                waits[staff_id].append(_seconds(waiting, when))
                waiting = None
    names = {
        staff_id: name
        for staff_id, name in session.execute(
            select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(list(replies)))
        )
    }
    return sorted(
        (
            {
                "agent": names.get(staff_id, f"staff {staff_id}"),
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


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
