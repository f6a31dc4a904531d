"""Staff see a customer's widget sessions and revoke them all.

A widget token is signed and lives 30 days; revoking records a time in the store, and
every token of the customer issued before it is refused (401 with the reason) on the
REST API and the WebSocket: on this process from the next request on, on the others
within a second (bot/channel_store/widget_sessions.py says how). Sockets open on this
process close at once; elsewhere at their next message. The visitor's widget then
starts a new session, which works.
"""

from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Request

from bot.api.audit import AuditTrail, endpoint_of, record_in
from bot.api.auth import StaffDependency
from bot.api.staff import CustomerId
from bot.channel_store.widget_sessions import StoreSessionRevocations
from channels.messages import Channel
from channels.web import SessionHub
from crm_store import Database, customers
from crm_store.records import StaffRecord
from crm_store.widget_sessions import (
    WidgetSessionRecord,
    revoke_widget_sessions,
    sessions_valid_from,
    widget_sessions_of,
)

REVOKED_REASON = "session revoked by staff: start a new session"


def _session_json(record: WidgetSessionRecord) -> dict[str, Any]:
    return {
        "session_id": record.session_id,
        "verified": record.verified,
        "started_at": record.started_at.isoformat(),
        "last_seen_at": record.last_seen_at.isoformat() if record.last_seen_at else None,
        "revoked": record.revoked,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def widget_sessions_router(
    database: Database,
    hub: SessionHub,
    staff: StaffDependency,
    admin: StaffDependency,
    trail: AuditTrail,
    revocations: StoreSessionRevocations | None = None,
) -> APIRouter:
    """`revocations` is told of each revocation, so this process refuses the revoked
    tokens from the next request on (it tells the other processes)."""
    router = APIRouter(prefix="/api/v1/customers", tags=["staff"])

    def _listing(customer_id: int) -> dict[str, Any] | None:
        with database.transaction() as session:
            if customers.get_customer(session, customer_id) is None:
                return None
            found = widget_sessions_of(session, customer_id, channel=Channel.WEB.value)
            return {
                "customer_id": customer_id,
                "valid_from": _iso(sessions_valid_from(session, customer_id)),
                "sessions": [_session_json(record) for record in found],
            }

    def _revoke(
        customer_id: int, member: StaffRecord, endpoint: str
    ) -> tuple[datetime, list[str]] | None:
        with database.transaction() as session:
            if customers.get_customer(session, customer_id) is None:
                return None
            revoked_at = revoke_widget_sessions(session, customer_id, staff_user_id=member.id)
            record_in(session, endpoint, member, "change", [customer_id])
            found = widget_sessions_of(session, customer_id, channel=Channel.WEB.value)
            return revoked_at, [record.session_id for record in found]

    @router.get(
        "/{customer_id}/widget-sessions", responses={404: {"description": "no such customer"}}
    )
    async def sessions(
        customer_id: CustomerId, request: Request, member: Annotated[StaffRecord, Depends(staff)]
    ) -> dict[str, Any]:
        """The customer's widget sessions that have written, and which are revoked."""
        found = await to_thread.run_sync(_listing, customer_id)
        if found is None:
            raise HTTPException(404, f"no customer {customer_id}")
        await trail.record(request, member, "read", [customer_id])
        return found

    @router.post(
        "/{customer_id}/widget-sessions/revoke",
        responses={404: {"description": "no such customer"}},
    )
    async def revoke(
        customer_id: CustomerId, request: Request, member: Annotated[StaffRecord, Depends(admin)]
    ) -> dict[str, Any]:
        """Revoke every widget session of the customer issued until now (admin)."""
        done = await to_thread.run_sync(_revoke, customer_id, member, endpoint_of(request))
        if done is None:
            raise HTTPException(404, f"no customer {customer_id}")
        revoked_at, session_ids = done
        if revocations is not None:
            revocations.revoked(revoked_at)
        closed = sum(hub.revoke(session_id, REVOKED_REASON) for session_id in session_ids)
        return {
            "customer_id": customer_id,
            "valid_from": revoked_at.isoformat(),
            "sessions": len(session_ids),
            "sockets_closed": closed,
        }

    return router
