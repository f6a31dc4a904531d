"""The dashboard's customer and sales figures as JSON: `/api/v1/analytics/...`.

The staff page at `/staff/` draws its charts from exactly these answers, so a figure on
the page can be checked with curl. Every route takes the same filters (`from`, `to` as
YYYY-MM-DD, inclusive; `channel`); what they select is written in
analytics/dashboard.py. The figures are those of the last `switchboard analytics refit`
(`computed_at` says when; null: never, and the tables are empty). Sales and admin only:
agents get 403, as for account summaries. An answer with amounts (`*_cents`) names their
`currencies`: those of the purchases on file, added together as stored when there are
several (no exchange rates are kept).
"""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session

from analytics import dashboard
from analytics.dashboard import DashboardFilter
from crm_store import Database

__all__ = ["DashboardChannel", "analytics_router", "dashboard_filter"]

DashboardChannel = Literal["web", "sms", "email"]
_RANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"description": "a date is not YYYY-MM-DD, `from` is after `to`, or no such channel"},
}


def dashboard_filter(
    start: Annotated[date | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, YYYY-MM-DD")] = None,
    channel: Annotated[DashboardChannel | None, Query()] = None,
) -> DashboardFilter:
    """The filters of a dashboard request; 422 when the range runs backwards."""
    if start is not None and end is not None and start > end:
        raise HTTPException(422, f"`from` ({start}) is after `to` ({end})")
    return DashboardFilter(start, end, channel)


Filter = Annotated[DashboardFilter, Depends(dashboard_filter)]


def analytics_router(database: Database, sales_dependency: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
    Sales = Annotated[Any, Depends(sales_dependency)]

    async def read(
        window: DashboardFilter, figures: Callable[[Session], Any], *, money: bool = True
    ) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            with database.transaction() as session:
                computed = dashboard.refit_time(session)
                currencies = {"currencies": dashboard.purchase_currencies(session)} if money else {}
                return {
                    "range": window.as_json(),
                    "computed_at": computed.isoformat(timespec="seconds") if computed else None,
                    **currencies,
                    **figures(session),
                }

        return await to_thread.run_sync(run)

    @router.get("/rfm", responses=_RANGE_ERRORS)
    async def rfm(window: Filter, _: Sales) -> dict[str, Any]:
        """Buyers per recency score x frequency score (1-5 each, all 25 cells)."""
        return await read(window, lambda s: {"cells": dashboard.rfm_grid(s, window)})

    @router.get("/lifetime-value", responses=_RANGE_ERRORS)
    async def lifetime_value(window: Filter, _: Sales) -> dict[str, Any]:
        """The predicted lifetime values: count, total, median, 90th percentile and a
        histogram (the last bucket open-ended); `horizon_weeks`, how far ahead they look."""
        return await read(
            window,
            lambda s: (
                dashboard.value_distribution(s, window)
                | {"horizon_weeks": dashboard.value_horizon_weeks(s)}
            ),
        )

    @router.get("/segments", responses=_RANGE_ERRORS)
    async def segments(window: Filter, _: Sales) -> dict[str, Any]:
        """Customers and their lifetime spend per ready-made segment."""
        return await read(window, lambda s: {"segments": dashboard.segment_sizes(s, window)})

    @router.get("/lead-scores", responses=_RANGE_ERRORS)
    async def lead_scores(
        window: Filter, _: Sales, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> dict[str, Any]:
        """Per owner, the open leads opened in the range and their expected wins; the
        first `limit` leads, best chance first (`leads_total`: all of them)."""

        def figures(session: Session) -> dict[str, Any]:
            owners, leads = dashboard.lead_board(session, window, limit=limit)
            return {
                "owners": owners,
                "leads": leads,
                # Every open lead in the range has one owner line (none: the null owner),
                # so their sum is the count, without a third query.
                "leads_total": sum(owner["leads"] for owner in owners),
            }

        return await read(window, figures, money=False)

    return router
