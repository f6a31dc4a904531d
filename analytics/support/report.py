"""The support report as the staff API serves it (GET /api/v1/reports/support): one
JSON document for a period and channel. Rates are null when their denominator is 0."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from analytics.support.activity import daily_activity
from analytics.support.agents import agent_workload
from analytics.support.business_time import OpeningHours
from analytics.support.cycles import cycle_figures
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
    cycles = cycle_figures(session, period)
    activity = daily_activity(session, period)
    return {
        "range": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "channel": period.channel,
        },
        "conversations_by_channel": [
            {"channel": channel, "conversations": count} for channel, count in cycles.by_channel
        ],
        "conversations_over_time": activity["over_time"],
        "bot_resolution": {
            "rate": _rate(cycles.resolved_by_bot, cycles.with_bot),
            "resolved_by_bot": cycles.resolved_by_bot,
            "denominator": cycles.with_bot,
            "definition": BOT_RESOLUTION,
        },
        "handoff": {
            "rate": _rate(cycles.handed_off, cycles.with_bot),
            "handoffs": cycles.handed_off,
            "denominator": cycles.with_bot,
            "definition": HANDOFF,
            "reasons": activity["handoff_reasons"],
        },
        "first_response": duration_figures(*cycles.first_response, hours),
        "resolution_time": duration_figures(*cycles.resolution, hours),
        "agents": agent_workload(session, period),
        "satisfaction": satisfaction(session, period),
        "knowledge": knowledge_figures(session, period, encoder),
    }
