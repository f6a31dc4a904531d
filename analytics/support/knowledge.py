"""Knowledge-base questions answered versus fallen back, counted in SQL from the bot
replies' events (`detail`: the reply's decisions, one per question a message asked,
from `attributes.route`), and the customers' words behind the latest fallbacks,
grouped, with a few of their messages as they wrote them, and the common topics the help
centre does not cover that those fallbacks were about (`not_covered`). The latest
fallbacks are found by their own partial index (`ix_event_log_fallbacks`, migration 0024)
and joined to the questions they answered and the replies' routes in the same query:
before it, PostgreSQL read every bot reply of the range from the table to sort them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from analytics.support.period import ReportPeriod
from analytics.support.unanswered import QuestionEncoder, group_questions
from crm_store.event_log import route_gaps
from crm_store.models import Interaction
from crm_store.models import LoggedEvent as E
from crm_store.models.events import FALLBACK

__all__ = ["MAX_GROUPED", "knowledge_figures"]

# The most recent fallen-back questions grouped for `top_unanswered`.
MAX_GROUPED = 2000


def knowledge_figures(
    session: Session, period: ReportPeriod, encoder: QuestionEncoder | None = None
) -> dict[str, Any]:
    in_range = period.within(E.occurred_at, E.channel)
    replies = [E.type == "message.out", E.actor == "bot", *in_range]
    decisions = Counter[str]()
    for detail, count in session.execute(
        select(E.detail, func.count()).where(*replies).group_by(E.detail)
    ):
        for decision in (detail or "").split(","):
            decisions[decision] += count
    fallbacks = [FALLBACK, *in_range]
    # The time of the oldest of the latest fallbacks, from the index alone, so the rows
    # read from the table are those fallbacks and no more (the planner cannot tell how
    # many replies match '%fallback%' and would otherwise read the whole range's).
    oldest = (
        select(E.occurred_at)
        .where(*fallbacks)
        .order_by(E.occurred_at.desc())
        .offset(MAX_GROUPED - 1)
        .limit(1)
        .scalar_subquery()
    )
    latest = (
        select(
            E.data["in_reply_to_id"].as_integer().label("asked"),
            E.data["interaction_id"].as_integer().label("reply"),
            E.occurred_at,
        )
        .where(*fallbacks, E.occurred_at >= func.coalesce(oldest, period.since))
        .order_by(E.occurred_at.desc())
        .limit(MAX_GROUPED)
        .subquery()
    )
    reply = aliased(Interaction)
    rows = session.execute(
        select(Interaction.text, reply.attributes)
        .join(latest, Interaction.id == latest.c.asked)
        .outerjoin(reply, reply.id == latest.c.reply)
        # The latest first: of a wording's spellings asked as often, the latest is
        # the example shown.
        .order_by(latest.c.occurred_at.desc())
    ).all()
    topics = Counter(topic for _, attributes in rows for topic in route_gaps(attributes or {}))
    return {
        "answered": decisions["answer"],
        "fallen_back": decisions["fallback"],
        "top_unanswered": group_questions([text for text, _ in rows], encoder=encoder),
        # Of those fallbacks, the ones on a common topic the help centre does not cover
        # (knowledge/gaps.py), by topic: the articles to write.
        "not_covered": [
            {"topic": topic, "count": count}
            for topic, count in sorted(topics.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
