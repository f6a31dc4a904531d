"""The audit log at the staff API's edge: each customer route says what it did to whom
(`AuditTrail.record`), and admins read the log (`GET /api/v1/audit`).

The entry names the route by its template (`GET /api/v1/customers/{customer_id}`), not
the URL asked: ids are in their own columns, and a query string (an email searched for)
is content the log must not hold. Reads are recorded after they succeeded (a 404 reveals
nothing of anyone); a change is recorded in the transaction that makes it, where the
route can (`record_in`), so one is never without the other.
"""

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from bot.api.head_requests import asked_method
from crm_store import Database, audit
from crm_store.base import MAX_ID
from crm_store.records import StaffRecord


def endpoint_of(request: Request) -> str:
    """`METHOD /route/{template}` of the request (its path when no route matched)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return f"{asked_method(request.scope)} {path}"


class AuditTrail:
    """Writes audit entries for the staff API's routes."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def record(
        self,
        request: Request,
        member: StaffRecord,
        action: str,
        customer_ids: Iterable[int],
        *,
        subject: str | None = None,
    ) -> None:
        ids = list(customer_ids)
        if not ids:
            return
        endpoint = endpoint_of(request)

        def write() -> None:
            with self._db.transaction() as session:
                record_in(session, endpoint, member, action, ids, subject=subject)

        await to_thread.run_sync(write)


def record_in(
    session: Session,
    endpoint: str,
    member: StaffRecord | None,
    action: str,
    customer_ids: Iterable[int],
    *,
    via: str = "api",
    subject: str | None = None,
) -> None:
    """Audit entries in the caller's transaction (`member` None: the system)."""
    audit.record_access(
        session,
        customer_ids=customer_ids,
        action=action,
        endpoint=endpoint,
        via=via,
        staff_id=member.id if member is not None else None,
        subject=subject,
    )


def audit_router(database: Database, admin: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["privacy"])

    def _entries(
        customer_id: int | None, staff_id: int | None, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        with database.transaction() as session:
            found = audit.audit_entries(
                session,
                customer_id=customer_id,
                staff_id=staff_id,
                before_id=before_id,
                limit=limit,
            )
            return [entry.as_json() for entry in found]

    @router.get("/audit")
    async def audit_log(
        _: Annotated[StaffRecord, Depends(admin)],
        customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        staff_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        before_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="page on: the last id seen")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """Who read or changed which customer's data, newest first (admins). Ids only."""
        found = await to_thread.run_sync(_entries, customer_id, staff_id, before_id, limit)
        return {"entries": found}

    return router
