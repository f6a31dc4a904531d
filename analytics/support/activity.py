"""Day by day: care cycles opened, resolutions (by the bot or a person) and handoffs,
with each handoff's reason. Openings and resolutions are counted from `care_cycles`
(one start and at most one resolution per cycle, each by its own index), handoffs from
the event log's `handoff.opened` events of the period (a cycle can be handed off more
than once, and each has its reason); all counted in SQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod, as_day, utc_day
from crm_store.models import CareCycle as C
from crm_store.models import LoggedEvent as E

__all__ = ["daily_activity"]


def daily_activity(
    session: Session, period: ReportPeriod, opened: Mapping[date, int]
) -> dict[str, Any]:
    """`over_time` (one entry per day, zeros included) and `handoff_reasons`; `opened`
    is the cycles started per day, counted with the cycles' figures
    (analytics/support/cycles.py, `cycle_counts`)."""
    days = {when: Counter[str]() for when in period.days()}
    for when, count in opened.items():
        days[when]["opened"] += count
    resolved = utc_day(session, C.resolved_at)
    by_bot = func.sum(cast(C.resolved_by_bot, Integer))
    for when, count, bot in session.execute(
        select(resolved, func.count(), by_bot)
        .where(*period.within(C.resolved_at, C.channel))
        .group_by(resolved)
    ):
        days[as_day(when)]["resolved"] += count
        days[as_day(when)]["resolved_by_bot"] += int(bot or 0)
    handed = utc_day(session, E.occurred_at)
    reasons = Counter[str]()
    for when, detail, count in session.execute(
        select(handed, E.detail, func.count())
        .where(E.type == "handoff.opened", *period.within(E.occurred_at, E.channel))
        .group_by(handed, E.detail)
    ):
        days[as_day(when)]["handed_off"] += count
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
            {"reason": reason, "count": count}
            # Most first; ties by name (not by the order the database returned them).
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
