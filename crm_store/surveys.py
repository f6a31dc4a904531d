"""Satisfaction surveys: one 1-5 rating asked per resolution (per conversation and care
cycle, held by a unique constraint, so a conversation reopened and resolved again is
asked again, and two resolutions racing ask once), at most one per customer within a
cooldown, credited to whoever resolved the cycle. Asking and answering are events in
the event log; an answer is also the `survey.answered` webhook event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crm_store import webhooks
from crm_store.base import utcnow
from crm_store.event_log import record_event
from crm_store.models import Conversation, LoggedEvent, SatisfactionSurvey

__all__ = ["SurveyRecord", "answer", "ask", "awaiting_answer", "get_survey"]


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    id: int
    conversation_id: int
    cycle: int
    customer_id: int
    channel: str
    resolved_by: str
    staff_id: int | None
    asked_at: datetime
    score: int | None
    comment: str | None


def _record(row: SatisfactionSurvey) -> SurveyRecord:
    return SurveyRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        cycle=row.cycle,
        customer_id=row.customer_id,
        channel=row.channel,
        resolved_by=row.resolved_by,
        staff_id=row.staff_id,
        asked_at=row.asked_at,
        score=row.score,
        comment=row.comment,
    )


def ask(
    session: Session, conversation_id: int, *, cooldown: timedelta, now: datetime | None = None
) -> SurveyRecord | None:
    """A survey for the conversation's current resolution, or None: not resolved, this
    cycle asked already, or the customer was asked within `cooldown`."""
    now = now or utcnow()
    conversation = session.get_one(Conversation, conversation_id)
    if conversation.status != "resolved":
        return None
    recently = session.scalar(
        select(SatisfactionSurvey.id)
        .where(
            SatisfactionSurvey.customer_id == conversation.customer_id,
            SatisfactionSurvey.asked_at > now - cooldown,
        )
        .limit(1)
    )
    if recently is not None:
        return None
    resolver = session.execute(
        select(LoggedEvent.actor, LoggedEvent.staff_id).where(
            LoggedEvent.key == f"conversation.resolved:{conversation.id}:{conversation.cycle}"
        )
    ).first()
    actor, staff_id = resolver if resolver is not None else ("agent", None)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    survey_id = session.execute(
        insert(SatisfactionSurvey)
        .values(
            conversation_id=conversation.id,
            cycle=conversation.cycle,
            customer_id=conversation.customer_id,
            channel=conversation.channel,
            resolved_by="bot" if actor == "bot" else "agent",
            staff_id=staff_id,
            asked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["conversation_id", "cycle"])
        .returning(SatisfactionSurvey.id)
    ).scalar()
    if survey_id is None:
        return None
    row = session.get_one(SatisfactionSurvey, survey_id)
    _log(session, "survey.asked", row, "system", now, {"resolved_by": row.resolved_by})
    return _record(row)


def _log(
    session: Session,
    event_type: str,
    row: SatisfactionSurvey,
    actor: str,
    when: datetime,
    data: dict[str, object],
    detail: str | None = None,
) -> None:
    record_event(
        session,
        event_type,
        key=str(row.id),
        actor=actor,
        conversation_id=row.conversation_id,
        cycle=row.cycle,
        customer_id=row.customer_id,
        channel=row.channel,
        staff_id=row.staff_id,
        occurred_at=when,
        detail=detail,
        data={"survey_id": row.id, **data},
    )


def get_survey(session: Session, survey_id: int) -> SurveyRecord | None:
    row = session.get(SatisfactionSurvey, survey_id)
    return _record(row) if row is not None else None


def awaiting_answer(
    session: Session, conversation_id: int, *, asked_after: datetime
) -> SurveyRecord | None:
    """The survey of the conversation's current resolution, unanswered and asked after
    `asked_after`; None once the conversation reopened (the rating window is closed)."""
    row = session.scalars(
        select(SatisfactionSurvey)
        .join(Conversation, Conversation.id == SatisfactionSurvey.conversation_id)
        .where(
            SatisfactionSurvey.conversation_id == conversation_id,
            SatisfactionSurvey.cycle == Conversation.cycle,
            Conversation.status == "resolved",
            SatisfactionSurvey.score.is_(None),
            SatisfactionSurvey.asked_at > asked_after,
        )
    ).first()
    return _record(row) if row is not None else None


def answer(
    session: Session, survey_id: int, score: int, comment: str | None = None
) -> SurveyRecord | None:
    """Store the rating (1-5) and comment; None if it was answered already (the first
    answer stands)."""
    if not 1 <= score <= 5:
        raise ValueError(f"a rating is 1 to 5, not {score}")
    now = utcnow()
    changed = session.execute(
        update(SatisfactionSurvey)
        .where(SatisfactionSurvey.id == survey_id, SatisfactionSurvey.score.is_(None))
        .values(score=score, comment=comment or None, answered_at=now)
    ).rowcount
    if not changed:
        return None
    row = session.get_one(SatisfactionSurvey, survey_id)
    session.refresh(row)
    data = {
        "survey_id": row.id,
        "conversation_id": row.conversation_id,
        "customer_id": row.customer_id,
        "score": score,
        "resolved_by": row.resolved_by,
        "staff_id": row.staff_id,
    }
    _log(session, "survey.answered", row, "customer", now, data, detail=str(score))
    webhooks.emit(
        session,
        "survey.answered",
        subject=f"conversation:{row.conversation_id}",
        customer_id=row.customer_id,
        data={**data, "comment": row.comment},
    )
    return _record(row)
