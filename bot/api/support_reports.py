"""The support report for the staff dashboard: `GET /api/v1/reports/support` (the whole
report, for existing callers and exports) and `GET /api/v1/reports/support/{section}`
(one section: conversations, response-times, agents, satisfaction, knowledge), which
the dashboard fetches in parallel.

Who may read it: agents and admins. The figures are the support team's own work
(response times, workload, ratings), which a support lead (an admin here: there is no
separate lead role) and the agents themselves look at; sales staff have their summaries
and no need for these. Definitions: analytics/README.md, "Support reports".
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query

from analytics.support import ReportPeriod, support_report
from analytics.support.business_time import OpeningHours
from analytics.support.period import LATE_EVENTS
from analytics.support.report import SECTIONS
from analytics.support.unanswered import QuestionEncoder, RememberedEncodings
from crm_store import Database
from crm_store.records import StaffRecord

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "REPORT_ROLES",
    "report_period",
    "support_reports_router",
]

REPORT_ROLES = ("agent", "admin")
DEFAULT_DAYS = 30
# A longer range is refused: one request reads the range's care cycles and the events
# of the conversations agents replied in.
MAX_DAYS = 366
# The days a report can be asked about: a missing end is filled in 30 days from the
# other, and a range is followed 30 days past its last day, both within Python's
# calendar (year 1 to 9999), so that a day near its ends is a 422 and not an overflow.
EARLIEST_DAY = date.min + timedelta(days=DEFAULT_DAYS)
LATEST_DAY = date.max - LATE_EVENTS - timedelta(days=DEFAULT_DAYS + 1)


def report_period(
    first: date | None, last: date | None, channel: str | None, *, today: date
) -> ReportPeriod:
    """The period asked for, defaults filled in: the last 30 days up to today (UTC);
    a bad one raises 422 with the reason."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise HTTPException(
                422,
                f"{name} ({day}) is outside the days a report covers, "
                f"{EARLIEST_DAY} to {LATEST_DAY}",
            )
    last = last or (first + timedelta(days=DEFAULT_DAYS - 1) if first else today)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise HTTPException(422, f"from ({first}) is after to ({last})")
    if (last - first).days + 1 > MAX_DAYS:
        raise HTTPException(422, f"the range is longer than {MAX_DAYS} days")
    return ReportPeriod(first, last, channel)


def support_reports_router(
    database: Database,
    reader: Callable[..., Any],
    hours: OpeningHours,
    *,
    encoder: QuestionEncoder | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
    # One per app: each wording of the unanswered questions is encoded once (see there).
    encoder = RememberedEncodings(encoder) if encoder is not None else None

    def compute(period: ReportPeriod, sections: tuple[str, ...]) -> dict[str, Any]:
        with database.transaction() as session:
            return support_report(session, period, hours, encoder=encoder, sections=sections)

    def asked_period(
        first: Annotated[
            date | None,
            Query(alias="from", description="first day (UTC), YYYY-MM-DD; default 30 days ago"),
        ] = None,
        last: Annotated[
            date | None,
            Query(alias="to", description="last day (UTC, included), YYYY-MM-DD; default today"),
        ] = None,
        channel: Annotated[
            Literal["web", "sms", "email", "slack"] | None,
            Query(description="one channel; default all"),
        ] = None,
    ) -> ReportPeriod:
        return report_period(first, last, channel, today=clock().date())

    refused = {
        403: {"description": "the staff user is neither an agent nor an admin"},
        422: {
            "description": "a date that is not YYYY-MM-DD or lies outside "
            f"{EARLIEST_DAY} to {LATEST_DAY}, from after to, or a range over {MAX_DAYS} "
            "days, or an unknown channel"
        },
    }

    @router.get("/support", responses=refused)
    async def support(
        _: Annotated[StaffRecord, Depends(reader)],
        period: Annotated[ReportPeriod, Depends(asked_period)],
    ) -> dict[str, Any]:
        """Conversations, bot resolution, handoffs, response and resolution times,
        agents, satisfaction and unanswered questions for a range of days (care cycles
        started in it). Rates are null when their denominator is 0."""
        return await to_thread.run_sync(compute, period, tuple(SECTIONS))

    @router.get(
        "/support/{section}",
        responses={**refused, 404: {"description": "no such section of the report"}},
    )
    async def support_section(
        _: Annotated[StaffRecord, Depends(reader)],
        section: Annotated[str, Path(description="one of: " + ", ".join(SECTIONS))],
        period: Annotated[ReportPeriod, Depends(asked_period)],
    ) -> dict[str, Any]:
        """One section of the support report (its keys exactly as in the whole report,
        with `range`): what the dashboard fetches, all sections at once, so each chart
        waits for its own figures only."""
        if section not in SECTIONS:
            raise HTTPException(404, f"no section {section!r}; there are: {', '.join(SECTIONS)}")
        return await to_thread.run_sync(compute, period, (section,))

    return router
