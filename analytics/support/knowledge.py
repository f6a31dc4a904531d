"""Knowledge-base questions answered versus fallen back, counted in SQL from the bot
replies' events (`detail`: the reply's decisions, one per question a message asked,
from `attributes.route`), and the customers' words behind the latest fallbacks,
grouped."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.support.period import ReportPeriod
from analytics.support.unanswered import QuestionEncoder, group_questions
from crm_store.models import Interaction
from crm_store.models import LoggedEvent as E

__all__ = ["MAX_GROUPED", "knowledge_figures"]

# The most recent fallen-back questions grouped for `top_unanswered`.
MAX_GROUPED = 2000


def knowledge_figures(
    session: Session, period: ReportPeriod, encoder: QuestionEncoder | None = None
) -> dict[str, Any]:
    replies = [
        E.type == "message.out",
        E.actor == "bot",
        E.occurred_at >= period.since,
        E.occurred_at < period.until,
    ]
    if period.channel is not None:
        replies.append(E.channel == period.channel)
    decisions = Counter[str]()
    for detail, count in session.execute(
        select(E.detail, func.count()).where(*replies).group_by(E.detail)
    ):
        for decision in (detail or "").split(","):
            decisions[decision] += count
    missed = session.execute(
        select(E.data)
        .where(*replies, E.detail.like("%fallback%"))
        .order_by(E.occurred_at.desc())
        .limit(MAX_GROUPED)
    ).scalars()
    asked = [int(data["in_reply_to_id"]) for data in missed if data.get("in_reply_to_id")]
    texts: list[str] = []
    for start in range(0, len(asked), 1000):
        texts += session.execute(
            select(Interaction.text).where(Interaction.id.in_(asked[start : start + 1000]))
        ).scalars()
    return {
        "answered": decisions["answer"],
        "fallen_back": decisions["fallback"],
        "top_unanswered": group_questions(texts, encoder=encoder),
    }
