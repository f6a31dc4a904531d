"""The lead list for sales: `GET /api/v1/leads?owner=me`, the leads to call first.

Open leads (new, contacted, qualified), the highest probability of winning first, each
with its top factors from the last lead scoring (`switchboard analytics refit`); leads
opened since then have no score yet and come last, newest first.
"""

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Query

from analytics import dashboard
from bot.api.analytics import dashboard_filter
from bot.api.owners import Owner, owner_id
from crm_store import Database
from crm_store.records import StaffRecord

__all__ = ["leads_router"]


def leads_router(database: Database, sales_dependency: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/leads", tags=["leads"])

    @router.get(
        "",
        responses={
            422: {"description": "an owner that is not a staff id or `me`, or a bad filter"}
        },
    )
    async def open_leads(
        member: Annotated[StaffRecord, Depends(sales_dependency)],
        window: Annotated[dashboard.DashboardFilter, Depends(dashboard_filter)],
        owner: Owner = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """Open leads by score, highest first; `owner` a staff id or `me`, and the
        dashboard's `from`/`to` (when the lead was opened) and `channel` (it came by)."""
        owner_staff_id = owner_id(owner, member.id)

        def run() -> dict[str, Any]:
            with database.transaction() as session:
                leads = dashboard.lead_scores(
                    session, window, owner_staff_id=owner_staff_id, limit=limit
                )
                total = dashboard.count_leads(session, window, owner_staff_id=owner_staff_id)
            return {"leads": leads, "total": total, "limit": limit}

        return await to_thread.run_sync(run)

    return router
