"""The answers to satisfaction surveys, for staff to read: each rating with its comment,
who it was credited to and whose it is. The support report counts them (analytics/
support/satisfaction.py); this is where the words behind its score are read.

Surveys are chosen as the report chooses them, by when they were asked (and on which
channel), so a range's list holds the report's `responses` for that range; the latest
asked first, paged by offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import Customer, SatisfactionSurvey, StaffUser

__all__ = ["SurveyAnswer", "answered_surveys"]


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    id: int
    customer_id: int
    customer_name: str | None
    conversation_id: int
    channel: str
    score: int
    comment: str | None
    resolved_by: str  # bot | agent
    staff_id: int | None
    staff_name: str | None
    asked_at: datetime
    answered_at: datetime | None


def answered_surveys(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    channel: str | None = None,
    left_out: tuple[str, ...] = (),
    max_score: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[SurveyAnswer]:
    """Answered surveys asked in [since, until), the latest asked first (`offset` of
    them skipped): on `channel` only, never on a channel `left_out` (the report's trial
    channels), rated `max_score` or lower only (unhappy: 2)."""
    S = SatisfactionSurvey
    query = (
        select(S, Customer.name, StaffUser.name)
        .join(Customer, Customer.id == S.customer_id)
        .outerjoin(StaffUser, StaffUser.id == S.staff_id)
        .where(S.asked_at >= since, S.asked_at < until, S.score.is_not(None))
        .order_by(S.asked_at.desc(), S.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if channel is not None:
        query = query.where(S.channel == channel)
    if left_out:
        query = query.where(S.channel.not_in(left_out))
    if max_score is not None:
        query = query.where(S.score <= max_score)
    return [
        SurveyAnswer(
            id=row.id,
            customer_id=row.customer_id,
            customer_name=customer_name,
            conversation_id=row.conversation_id,
            channel=row.channel,
            score=int(row.score or 0),
            comment=row.comment,
            resolved_by=row.resolved_by,
            staff_id=row.staff_id,
            staff_name=staff_name,
            asked_at=row.asked_at,
            answered_at=row.answered_at,
        )
        for row, customer_name, staff_name in session.execute(query)
    ]
