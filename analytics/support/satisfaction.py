"""Satisfaction: the share of 4 and 5 among the ratings of surveys asked in the period,
and how many of those surveys were answered, with the same per week (ISO weeks, by
the day the survey was asked). A survey is one per (conversation, care cycle), so its
asking and its answer are kept on the cycle's row (crm_store/care_cycles.py, from the
`survey.asked` and `survey.answered` events) and read by the index on when it was
asked, in SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod, as_day, utc_day
from crm_store.models import CareCycle as C

__all__ = ["satisfaction"]

SATISFIED = ("4", "5")


def _score(ratings: dict[str, int]) -> float | None:
    total = sum(ratings.values())
    if not total:
        return None
    return round(sum(ratings.get(s, 0) for s in SATISFIED) / total, 4)


def satisfaction(session: Session, period: ReportPeriod) -> dict[str, Any]:
    day = utc_day(session, C.survey_asked_at)
    query = (
        select(day, C.survey_score, func.count())
        .where(*period.within(C.survey_asked_at, C.channel))
        .group_by(day, C.survey_score)
    )
    weeks: dict[str, dict[str, int]] = defaultdict(dict)
    overall: dict[str, int] = {}
    count_asked = 0
    for when, score, count in session.execute(query):
        count_asked += count
        monday = as_day(when) - timedelta(days=as_day(when).weekday())
        week = weeks[monday.isoformat()]
        if score is not None:
            week[str(score)] = week.get(str(score), 0) + count
            overall[str(score)] = overall.get(str(score), 0) + count
    responses = sum(overall.values())
    return {
        "score": _score(overall),
        "responses": responses,
        "asked": count_asked,
        "response_rate": round(responses / count_asked, 4) if count_asked else None,
        "trend": [
            {"week": week, "score": _score(weeks[week]), "responses": sum(weeks[week].values())}
            for week in sorted(weeks)
        ],
    }
