"""Day by day: care cycles opened, resolutions (by the bot or a person) and handoffs,
with each handoff's reason; all read from the event log in the period."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from crm_store.event_log import CYCLE_STARTS
from crm_store.models import LoggedEvent as E

__all__ = ["daily_activity"]

_COUNTED = (*CYCLE_STARTS, "conversation.resolved", "handoff.opened")


def daily_activity(session: Session, period: ReportPeriod) -> dict[str, Any]:
    """`over_time` (one entry per day, zeros included) and `handoff_reasons`."""
    query = select(E.type, E.actor, E.occurred_at, E.data).where(
        E.type.in_(_COUNTED), E.occurred_at >= period.since, E.occurred_at < period.until
    )
    if period.channel is not None:
        query = query.where(E.channel == period.channel)
    days = {day: Counter[str]() for day in period.days()}
    reasons = Counter[str]()
    for kind, actor, when, data in session.execute(query):
        counts = days[when.date()]
        if kind in CYCLE_STARTS:
            counts["opened"] += 1
        elif kind == "conversation.resolved":
            counts["resolved"] += 1
            if actor == "bot":
                counts["resolved_by_bot"] += 1
        else:
            counts["handed_off"] += 1
            reasons[str((data or {}).get("reason") or "unknown")] += 1
    return {
        "over_time": [
            {
                "day": day.isoformat(),
                "opened": counts["opened"],
                "resolved": counts["resolved"],
                "resolved_by_bot": counts["resolved_by_bot"],
                "handed_off": counts["handed_off"],
            }
            for day, counts in days.items()
        ],
        "handoff_reasons": [
            {"reason": reason, "count": count} for reason, count in reasons.most_common()
        ],
    }
