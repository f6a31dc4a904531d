"""Knowledge-base questions answered versus fallen back, read from the bot replies'
events (`decisions`: one per question a message asked, from `attributes.route`), and
the customers' words behind the fallbacks, grouped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from analytics.support.unanswered import QuestionEncoder, group_questions
from crm_store.models import Interaction
from crm_store.models import LoggedEvent as E

__all__ = ["MAX_GROUPED", "knowledge_figures"]

# The most recent fallen-back questions grouped for `top_unanswered`.
MAX_GROUPED = 5000


def knowledge_figures(
    session: Session, period: ReportPeriod, encoder: QuestionEncoder | None = None
) -> dict[str, Any]:
    query = select(E.data).where(
        and_(E.type == "message.out", E.actor == "bot"),
        E.occurred_at >= period.since,
        E.occurred_at < period.until,
    )
    if period.channel is not None:
        query = query.where(E.channel == period.channel)
    answered = fallen_back = 0
    missed: list[int] = []
    for data in session.execute(query).scalars():
        decisions = data.get("decisions") or ()
        answered += decisions.count("answer")
        misses = decisions.count("fallback")
        fallen_back += misses
        if misses and data.get("in_reply_to_id") is not None:
            missed.append(int(data["in_reply_to_id"]))
    texts = []
    recent = sorted(set(missed))[-MAX_GROUPED:]
    for start in range(0, len(recent), 1000):
        texts += session.execute(
            select(Interaction.text).where(Interaction.id.in_(recent[start : start + 1000]))
        ).scalars()
    return {
        "answered": answered,
        "fallen_back": fallen_back,
        "top_unanswered": group_questions(texts, encoder=encoder),
    }
