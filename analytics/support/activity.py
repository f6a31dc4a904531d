"""Day by day: care cycles opened, resolutions (by the bot or a person) and handoffs,
with each handoff's reason; counted in SQL from the event log in the period."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod, as_day, utc_day
from crm_store.event_log import CYCLE_STARTS
from crm_store.models import LoggedEvent as E

__all__ = ["daily_activity"]

_COUNTED = (*CYCLE_STARTS, "conversation.resolved", "handoff.opened")


def daily_activity(session: Session, period: ReportPeriod) -> dict[str, Any]:
    """`over_time` (one entry per day, zeros included) and `handoff_reasons`."""
    day = utc_day(session, E.occurred_at)
    query = (
        select(day, E.type, E.actor, E.detail, func.count())
        .where(E.type.in_(_COUNTED), E.occurred_at >= period.since, E.occurred_at < period.until)
        .group_by(day, E.type, E.actor, E.detail)
    )
    if period.channel is not None:
        query = query.where(E.channel == period.channel)
    days = {when: Counter[str]() for when in period.days()}
    reasons = Counter[str]()
    for when, kind, actor, detail, count in session.execute(query):
        counts = days[as_day(when)]
        if kind in CYCLE_STARTS:
            counts["opened"] += count
        elif kind == "conversation.resolved":
            counts["resolved"] += count
            if actor == "bot":
                counts["resolved_by_bot"] += count
        else:
            counts["handed_off"] += count
            reasons[detail or "unknown"] += count
    return {
        "over_time": [
            {
                "day": when.isoformat(),
                "opened": counts["opened"],
                "resolved": counts["resolved"],
                "resolved_by_bot": counts["resolved_by_bot"],
                "handed_off": counts["handed_off"],
            }
            for when, counts in days.items()
        ],
        "handoff_reasons": [
            {"reason": reason, "count": count} for reason, count in reasons.most_common()
        ],
    }
