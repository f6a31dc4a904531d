"""Satisfaction: the share of 4 and 5 among the ratings of surveys asked in the period,
and how many of those surveys were answered, with the same per week (ISO weeks, by
the day the survey was asked)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from crm_store.models import LoggedEvent as E

__all__ = ["satisfaction"]

SATISFIED = (4, 5)


def _score(scores: list[int]) -> float | None:
    if not scores:
        return None
    return round(sum(1 for s in scores if s in SATISFIED) / len(scores), 4)


def satisfaction(session: Session, period: ReportPeriod) -> dict[str, Any]:
    asked_query = select(E.occurred_at, E.data).where(
        E.type == "survey.asked", E.occurred_at >= period.since, E.occurred_at < period.until
    )
    if period.channel is not None:
        asked_query = asked_query.where(E.channel == period.channel)
    week_of: dict[int, str] = {}
    for when, data in session.execute(asked_query):
        monday = when.date() - timedelta(days=when.weekday())
        week_of[int(data["survey_id"])] = monday.isoformat()
    answers = session.execute(
        select(E.data).where(
            E.type == "survey.answered",
            E.occurred_at >= period.since,
            E.occurred_at < period.followed_until,
        )
    ).scalars()
    by_week: dict[str, list[int]] = defaultdict(list)
    scores = []
    for data in answers:
        week = week_of.get(int(data["survey_id"]))
        if week is not None:
            scores.append(int(data["score"]))
            by_week[week].append(int(data["score"]))
    asked = len(week_of)
    return {
        "score": _score(scores),
        "responses": len(scores),
        "asked": asked,
        "response_rate": round(len(scores) / asked, 4) if asked else None,
        "trend": [
            {"week": week, "score": _score(by_week[week]), "responses": len(by_week[week])}
            for week in sorted(set(week_of.values()))
        ],
    }
