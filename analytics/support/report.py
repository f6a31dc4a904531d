"""The support report as the staff API serves it (GET /api/v1/reports/support): one
JSON document for a period and channel. Rates are null when their denominator is 0."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from analytics.support.activity import daily_activity
from analytics.support.agents import agent_workload
from analytics.support.business_time import OpeningHours
from analytics.support.cycles import care_cycles
from analytics.support.durations import duration_figures
from analytics.support.knowledge import knowledge_figures
from analytics.support.period import ReportPeriod
from analytics.support.satisfaction import satisfaction
from analytics.support.unanswered import QuestionEncoder

__all__ = ["BOT_RESOLUTION", "HANDOFF", "ReportPeriod", "support_report"]

BOT_RESOLUTION = (
    "care cycles started in the period, the bot took part in and resolved with no person "
    "(no handoff, no agent reply) and not reopened within 7 days, over care cycles started "
    "in the period the bot took part in (sent at least one reply)"
)
HANDOFF = (
    "care cycles started in the period that were handed to a person, over care cycles "
    "started in the period the bot took part in (sent at least one reply)"
)


def _rate(count: int, denominator: int) -> float | None:
    return round(count / denominator, 4) if denominator else None


def support_report(
    session: Session,
    period: ReportPeriod,
    hours: OpeningHours,
    *,
    encoder: QuestionEncoder | None = None,
) -> dict[str, Any]:
    """The whole report; `encoder` groups unanswered questions by meaning (else words)."""
    cycles = care_cycles(session, period)
    with_bot = [cycle for cycle in cycles if cycle.bot_took_part]
    by_bot = sum(1 for cycle in with_bot if cycle.resolved_by_bot_alone)
    handed = sum(1 for cycle in with_bot if cycle.handoffs)
    activity = daily_activity(session, period)
    channels = Counter(cycle.channel for cycle in cycles)
    return {
        "range": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "channel": period.channel,
        },
        "conversations_by_channel": [
            {"channel": channel, "conversations": count}
            for channel, count in sorted(channels.items(), key=lambda item: (-item[1], item[0]))
        ],
        "conversations_over_time": activity["over_time"],
        "bot_resolution": {
            "rate": _rate(by_bot, len(with_bot)),
            "resolved_by_bot": by_bot,
            "denominator": len(with_bot),
            "definition": BOT_RESOLUTION,
        },
        "handoff": {
            "rate": _rate(handed, len(with_bot)),
            "handoffs": handed,
            "denominator": len(with_bot),
            "definition": HANDOFF,
            "reasons": activity["handoff_reasons"],
        },
        "first_response": duration_figures(
            [
                (cycle.started_at, cycle.first_person_reply_at)
                for cycle in cycles
                if cycle.first_person_reply_at is not None
            ],
            hours,
        ),
        "resolution_time": duration_figures(
            [
                (cycle.started_at, cycle.resolved_at)
                for cycle in cycles
                if cycle.resolved_at is not None
            ],
            hours,
        ),
        "agents": agent_workload(session, period),
        "satisfaction": satisfaction(session, period),
        "knowledge": knowledge_figures(session, period, encoder),
    }
