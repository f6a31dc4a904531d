"""Agents' workload and how long customers waited for their replies.

Each agent reply is kept in `agent_replies` with the wait it ended, worked out when the
reply was logged (crm_store/reply_waits.py: a customer starts waiting at the handoff,
or when they write while a person has the cycle and nobody is already waiting; the
next reply of an agent ends the wait; a second reply in a row ends none). A reply counts
in the range it was sent in, with its whole wait, even when the wait began before the
range: the wait is the customer's, and the reply is where the agent answered it. The
report reads the range's replies by the index on their time and counts them in SQL;
the medians are taken here from the waits, the same on both databases."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod, epoch_micros
from crm_store.models import AgentReply as R
from crm_store.models import StaffUser

__all__ = ["agent_workload"]


def agent_workload(session: Session, period: ReportPeriod) -> list[dict[str, Any]]:
    """Per agent who replied in the period: conversations (care cycles replied in),
    replies, and the median wait their replies ended."""
    sent = period.within(R.replied_at, R.channel)
    cycles = (
        select(R.staff_id, R.conversation_id, R.cycle, func.count().label("replies"))
        .where(*sent)
        .group_by(R.staff_id, R.conversation_id, R.cycle)
        .subquery()
    )
    counted = session.execute(
        select(cycles.c.staff_id, func.count(), func.sum(cycles.c.replies)).group_by(
            cycles.c.staff_id
        )
    ).all()
    waits: dict[int, list[float]] = defaultdict(list)
    for staff_id, micros in session.execute(
        select(
            R.staff_id, epoch_micros(session, R.replied_at) - epoch_micros(session, R.waited_since)
        ).where(*sent, R.waited_since.is_not(None))
    ):
        waits[staff_id].append(max(0, micros) / 1_000_000)
    names = dict(
        session.execute(
            select(StaffUser.id, StaffUser.name).where(
                StaffUser.id.in_([row[0] for row in counted])
            )
        ).all()
    )
    return sorted(
        (
            {
                "agent": names.get(staff_id, f"staff {staff_id}"),
                "conversations": int(conversations),
                "replies": int(replies),
                "median_reply_seconds": (
                    round(statistics.median(waits[staff_id]), 1) if waits[staff_id] else None
                ),
            }
            for staff_id, conversations, replies in counted
        ),
        key=lambda row: (-row["conversations"], row["agent"]),
    )
