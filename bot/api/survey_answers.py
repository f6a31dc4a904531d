"""`GET /api/v1/surveys`: the satisfaction surveys' answers, each rating with the
customer's comment, for the agents and admins who read the support report. The report
gives the score ("72% rated 4 or 5"); this gives the words behind it, chosen the same
way (asked in the range, on the channel, none in a terminal chat), so they add up.

Each customer listed is an audited read: a comment is the customer's own words.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request

from analytics.support.period import TRIAL_CHANNELS
from bot.api.audit import AuditTrail
from bot.api.support_reports import MAX_DAYS, report_period
from crm_store import Database
from crm_store.records import StaffRecord
from crm_store.survey_answers import SurveyAnswer, answered_surveys

__all__ = ["survey_answers_router"]


def answer_json(found: SurveyAnswer) -> dict[str, Any]:
    return {
        "id": found.id,
        "score": found.score,
        "comment": found.comment,
        "customer": {"id": found.customer_id, "name": found.customer_name},
        "conversation_id": found.conversation_id,
        "channel": found.channel,
        "resolved_by": found.resolved_by,
        "staff": {"id": found.staff_id, "name": found.staff_name} if found.staff_id else None,
        "asked_at": found.asked_at.isoformat(),
        "answered_at": found.answered_at.isoformat() if found.answered_at else None,
    }


def survey_answers_router(
    database: Database,
    reader: Callable[..., Any],
    trail: AuditTrail,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["reports"])

    @router.get(
        "/surveys",
        responses={
            403: {"description": "the staff user is neither an agent nor an admin"},
            422: {
                "description": "a date that is not YYYY-MM-DD or out of range, from after "
                f"to, a range over {MAX_DAYS} days, an unknown channel or a bad score"
            },
        },
    )
    async def surveys(
        request: Request,
        member: Annotated[StaffRecord, Depends(reader)],
        first: Annotated[
            date | None,
            Query(alias="from", description="first day the survey was asked (UTC)"),
        ] = None,
        last: Annotated[
            date | None, Query(alias="to", description="last day (UTC, included); default today")
        ] = None,
        channel: Annotated[Literal["web", "sms", "email"] | None, Query()] = None,
        max_score: Annotated[
            int | None, Query(ge=1, le=5, description="only ratings this low or lower")
        ] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="skip this many")] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Answered surveys asked in the range (default the last 30 days), the latest
        asked first: rating, comment, customer, conversation, channel, and whom the rating
        was credited to (`resolved_by`: bot or agent, with the staff user)."""
        period = report_period(first, last, channel, today=clock().date())

        def read() -> list[dict[str, Any]]:
            with database.transaction() as session:
                found = answered_surveys(
                    session,
                    since=period.since,
                    until=period.until,
                    channel=channel,
                    left_out=TRIAL_CHANNELS,
                    max_score=max_score,
                    offset=offset,
                    limit=limit,
                )
                return [answer_json(x) for x in found]

        answers = await to_thread.run_sync(read)
        customers = sorted({a["customer"]["id"] for a in answers})
        await trail.record(request, member, "read", customers)
        return {
            "range": {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "channel": channel,
            },
            "surveys": answers,
        }

    return router
