"""The support report as the staff API serves it: one JSON document for a period and
channel (GET /api/v1/reports/support, and its CSV-minded callers), or one section of it
(GET /api/v1/reports/support/{section}), which is what the dashboard page fetches, all
sections at once, so each of its charts waits for its own figures only. A section's
figures are exactly the combined report's keys of that name. Rates are null when their
denominator is 0."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from analytics.support.activity import daily_activity
from analytics.support.agents import agent_workload
from analytics.support.business_time import OpeningHours
from analytics.support.cycles import cycle_counts, cycle_spans
from analytics.support.durations import duration_figures
from analytics.support.knowledge import knowledge_figures
from analytics.support.period import ReportPeriod
from analytics.support.satisfaction import satisfaction
from analytics.support.unanswered import QuestionEncoder

__all__ = [
    "BOT_RESOLUTION",
    "HANDOFF",
    "RESOLUTION_TIME",
    "SECTIONS",
    "ReportPeriod",
    "support_report",
]

BOT_RESOLUTION = (
    "care cycles started in the period, the bot took part in and resolved with no person "
    "(no handoff, no agent reply) and not reopened within 7 days, over care cycles started "
    "in the period the bot took part in (sent at least one reply)"
)
HANDOFF = (
    "care cycles started in the period that were handed to a person, over care cycles "
    "started in the period the bot took part in (sent at least one reply)"
)
RESOLUTION_TIME = (
    "care cycles started in the period whose resolution held (not reopened within 7 days): "
    "from the customer's first message to the bot's last answer when the bot resolved it "
    "(it does so once the customer has left its answer alone for a while), to the "
    "resolution when a person did"
)


def _rate(count: int, denominator: int) -> float | None:
    return round(count / denominator, 4) if denominator else None


Section = Callable[[Session, ReportPeriod, OpeningHours, QuestionEncoder | None], dict[str, Any]]


def conversations(
    session: Session, period: ReportPeriod, _: OpeningHours, __: QuestionEncoder | None
) -> dict[str, Any]:
    cycles = cycle_counts(session, period)
    activity = daily_activity(session, period, cycles.opened_by_day)
    return {
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
    }


def response_times(
    session: Session, period: ReportPeriod, hours: OpeningHours, _: QuestionEncoder | None
) -> dict[str, Any]:
    spans = cycle_spans(session, period)
    by_bot, by_person = spans.resolved_by_bot, spans.resolved_by_person
    resolved = [np.concatenate(pair) for pair in zip(by_bot, by_person, strict=True)]
    return {
        "first_response": duration_figures(*spans.first_response, hours),
        "resolution_time": {
            **duration_figures(*resolved, hours),
            "definition": RESOLUTION_TIME,
            "by_resolver": {
                "bot": duration_figures(*by_bot, hours),
                "person": duration_figures(*by_person, hours),
            },
        },
    }


# The sections, by the name the API serves them under, in the combined report's order.
SECTIONS: dict[str, Section] = {
    "conversations": conversations,
    "response-times": response_times,
    "agents": lambda session, period, _, __: {"agents": agent_workload(session, period)},
    "satisfaction": lambda session, period, _, __: {"satisfaction": satisfaction(session, period)},
    "knowledge": lambda session, period, _, encoder: {
        "knowledge": knowledge_figures(session, period, encoder)
    },
}


def support_report(
    session: Session,
    period: ReportPeriod,
    hours: OpeningHours,
    *,
    encoder: QuestionEncoder | None = None,
    sections: tuple[str, ...] = tuple(SECTIONS),
) -> dict[str, Any]:
    """The report (by default whole; else the named `sections`); `encoder` groups
    unanswered questions by meaning (else words)."""
    report: dict[str, Any] = {
        "range": {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "channel": period.channel,
        }
    }
    for name in sections:
        report.update(SECTIONS[name](session, period, hours, encoder))
    return report
