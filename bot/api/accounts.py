"""Account summaries for sales: by account, by customer, or by what was typed.

Only the sales and admin roles may read them (the lead passes in that dependency).
A query that fits several accounts or customers answers 300 Multiple Choices with the
candidates and the summary URL of each; a query that fits nothing answers 404.
"""

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from bot.api.audit import AuditTrail
from channels.text import MessageText
from crm_store import Database, NotFound
from crm_store.base import MAX_ID
from crm_store.summaries import account_summary
from crm_store.summary_lookup import Candidates, NoMatch, SummaryLookup, lookup_summary
from crm_store.summary_records import SummarySubject

RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def summary_url(subject: SummarySubject) -> str:
    plural = "accounts" if subject.kind == "account" else "customers"
    return f"/api/v1/{plural}/{subject.id}/summary"


def accounts_router(
    database: Database, sales_dependency: Callable[..., Any], trail: AuditTrail
) -> APIRouter:
    """A customer's summary is audited as a read of that customer (`trail`)."""
    router = APIRouter(prefix="/api/v1", tags=["summaries"])
    Sales = Annotated[Any, Depends(sales_dependency)]

    def _summary(account_id: int | None, customer_id: int | None) -> dict[str, Any]:
        with database.transaction() as session:
            try:
                summary = account_summary(session, account_id=account_id, customer_id=customer_id)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from exc
            return summary.to_json()

    def _search(query: str) -> SummaryLookup:
        with database.transaction() as session:
            return lookup_summary(session, query)

    @router.get(
        "/accounts/{account_id}/summary", responses={404: {"description": "no such account"}}
    )
    async def of_account(account_id: RecordId, _: Sales) -> dict[str, Any]:
        return await to_thread.run_sync(_summary, account_id, None)

    @router.get(
        "/customers/{customer_id}/summary", responses={404: {"description": "no such customer"}}
    )
    async def of_customer(customer_id: RecordId, request: Request, member: Sales) -> dict[str, Any]:
        found = await to_thread.run_sync(_summary, None, customer_id)
        await trail.record(request, member, "read", [customer_id])
        return found

    @router.get(
        "/summary",
        responses={
            300: {"description": "several accounts or customers fit: the candidates"},
            404: {"description": "nothing fits the query"},
        },
    )
    async def by_query(
        _: Sales,
        q: Annotated[MessageText, Query(min_length=1, max_length=320)],
    ) -> Any:
        found = await to_thread.run_sync(_search, q)
        if isinstance(found, NoMatch):
            close = ", ".join(repr(s.label) for s in found.suggestions)
            raise HTTPException(
                404,
                f"no account or customer matches {q.strip()!r}"
                + (f"; close names: {close}" if close else ""),
            )
        if isinstance(found, Candidates):
            subjects = found.subjects
            return JSONResponse(
                status_code=300,
                content={
                    "error": f"{found.count_text()} accounts or customers match "
                    f"{q.strip()!r}: pick one"
                    + (" of these, or ask with more of the name" if found.more else ""),
                    "candidates": [
                        {**subject.to_json(), "summary_url": summary_url(subject)}
                        for subject in subjects
                    ],
                },
            )
        return found.summary.to_json()

    return router
