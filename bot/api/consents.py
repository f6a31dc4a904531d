"""Staff read a customer's consent (in force and the whole ledger) and record a decision
the customer told them (by phone, in a letter): `means` is then `staff`, `source` the
staff user. Any staff user may: agents are the ones customers tell."""

from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from bot.api.audit import AuditTrail, endpoint_of, record_in
from bot.api.auth import StaffDependency
from bot.api.staff import CustomerId
from crm_store import Database, consents, customers
from crm_store.records import ConsentRecord, StaffRecord

Purpose = Literal["marketing", "service", "surveys"]


class ConsentDecision(BaseModel):
    channel: Annotated[str, Field(min_length=1, max_length=20)]
    address: Annotated[str, Field(min_length=1, max_length=320)]
    decision: Literal["granted", "withdrawn"]
    purposes: Annotated[list[Purpose], Field(min_length=1, max_length=3)]
    wording: Annotated[str | None, Field(max_length=4000)] = None


def consent_json(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "channel": record.channel,
        "address": record.address,
        "purpose": record.purpose,
        "decision": record.decision,
        "means": record.means,
        "wording": record.wording,
        "source": record.source,
        "recorded_at": record.recorded_at.isoformat(),
    }


def consents_router(database: Database, staff: StaffDependency, trail: AuditTrail) -> APIRouter:
    router = APIRouter(prefix="/api/v1/customers", tags=["staff"])
    Staff = Annotated[StaffRecord, Depends(staff)]

    def _listing(customer_id: int) -> dict[str, Any] | None:
        with database.transaction() as session:
            if customers.get_customer(session, customer_id) is None:
                return None
            return {
                "customer_id": customer_id,
                "in_force": [consent_json(c) for c in consents.consents_of(session, customer_id)],
                "ledger": [consent_json(c) for c in consents.ledger_of(session, customer_id)],
            }

    def _record(
        customer_id: int, body: ConsentDecision, member: StaffRecord, endpoint: str
    ) -> list[dict[str, Any]] | str:
        with database.transaction() as session:
            if customers.get_customer(session, customer_id) is None:
                return "missing"
            held = {(i.channel, i.address) for i in customers.identities_of(session, customer_id)}
            if (body.channel, body.address) not in held:
                return "not held"
            recorded = consents.record_consent(
                session,
                channel=body.channel,
                address=body.address,
                decision=body.decision,
                means="staff",
                source=f"staff user {member.id}",
                purposes=body.purposes,
                customer_id=customer_id,
                wording=body.wording,
            )
            record_in(session, endpoint, member, "change", [customer_id])
            return [consent_json(c) for c in recorded]

    @router.get("/{customer_id}/consents", responses={404: {"description": "no such customer"}})
    async def listing(customer_id: CustomerId, request: Request, member: Staff) -> dict[str, Any]:
        """The consent in force per channel, address and purpose, and every entry."""
        found = await to_thread.run_sync(_listing, customer_id)
        if found is None:
            raise HTTPException(404, f"no customer {customer_id}")
        await trail.record(request, member, "read", [customer_id])
        return found

    @router.post(
        "/{customer_id}/consents",
        responses={
            404: {"description": "no such customer"},
            422: {"description": "the address is not one the customer holds"},
        },
    )
    async def record(
        customer_id: CustomerId, body: ConsentDecision, request: Request, member: Staff
    ) -> dict[str, Any]:
        """Record a decision the customer told staff; answers the consent in force for
        each purpose named."""
        done = await to_thread.run_sync(_record, customer_id, body, member, endpoint_of(request))
        if done == "missing":
            raise HTTPException(404, f"no customer {customer_id}")
        if done == "not held":
            raise HTTPException(
                422, f"customer {customer_id} holds no {body.channel} address {body.address!r}"
            )
        return {"customer_id": customer_id, "in_force": done}

    return router
