"""The staff API: customers and their interaction timeline, behind staff tokens; and the
pending contacts (senders nobody vouched for, not on file) a person may accept."""

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from bot.api.audit import AuditTrail, endpoint_of, record_in
from bot.api.auth import StaffAuth
from bot.api.phone_search import NotAPhoneNumber, e164
from channels.messages import Channel
from channels.text import StorableStr
from crm_store import Database, NotFound, customers, history, pending_contacts
from crm_store.base import MAX_ID
from crm_store.records import CustomerRecord, InteractionRecord, StaffRecord

# Ids are 64-bit at most; a larger number can name nothing, and SQLite cannot bind it.
CustomerId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A name search lists at most this many: more say the name is too short to pick from.
NAMED_LIMIT = 20


def customer_json(record: CustomerRecord, identities: list[Any]) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "email": record.email,
        "phone": record.phone,
        "lifecycle_stage": record.lifecycle_stage,
        "account_id": record.account_id,
        "attributes": record.attributes,
        "pending": record.pending,
        "created_at": record.created_at.isoformat(),
        "identities": [
            {"channel": i.channel, "address": i.address, "verified": i.verified} for i in identities
        ],
    }


def interaction_json(record: InteractionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "conversation_id": record.conversation_id,
        "seq": record.seq,
        "direction": record.direction,
        "author": record.author,
        "channel": record.channel,
        "text": record.text,
        "provider_message_id": record.provider_message_id,
        "intent": record.intent,
        "confidence": record.confidence,
        "sources": record.sources,
        "delivery_status": record.delivery_status,
        "attributes": record.attributes,
        "created_at": record.created_at.isoformat(),
    }


def staff_router(
    database: Database, auth: StaffAuth, trail: AuditTrail, *, phone_region: str = "US"
) -> APIRouter:
    """`phone_region`: where a searched number without a country code is (ISO 3166).
    Every customer read or changed here is in the audit log (`trail`)."""
    router = APIRouter(prefix="/api/v1", tags=["staff"])
    Staff = Annotated[StaffRecord, Depends(auth.any_staff())]

    def _customers(
        email: str | None, phone: str | None, name: str | None, web_session: str | None
    ) -> list[dict[str, Any]]:
        with database.transaction() as session:
            if web_session:
                # an anonymous widget visitor has no email, phone or name: the session id
                # (`POST /api/v1/webchat/sessions` returns it) is their address on the web
                identity = customers.find_identity(session, Channel.WEB, web_session)
                record = identity and customers.get_customer(session, identity.customer_id)
                found = [record] if isinstance(record, CustomerRecord) else []
            elif email or phone:
                found = customers.find_customers(session, email=email, phone=phone)
            else:
                found = customers.find_customers_named(session, name or "", limit=NAMED_LIMIT)
            return [customer_json(c, customers.identities_of(session, c.id)) for c in found]

    def _customer(customer_id: int) -> dict[str, Any] | None:
        with database.transaction() as session:
            record = customers.get_customer(session, customer_id)
            if record is None:
                return None
            return customer_json(record, customers.identities_of(session, customer_id))

    def _timeline(customer_id: int, after_id: int, limit: int) -> list[dict[str, Any]] | None:
        with database.transaction() as session:
            if customers.get_customer(session, customer_id) is None:
                return None
            rows = history.timeline(session, customer_id, after_id=after_id, limit=limit)
            return [interaction_json(row) for row in rows]

    @router.get("/customers")
    async def find(
        request: Request,
        member: Staff,
        email: Annotated[StorableStr | None, Query(max_length=320)] = None,
        phone: Annotated[StorableStr | None, Query(max_length=32)] = None,
        name: Annotated[
            StorableStr | None,
            Query(
                max_length=200,
                description="a customer's name, any case: exact matches, else names "
                "starting with it, else names containing it (at most 20)",
            ),
        ] = None,
        web_session: Annotated[
            StorableStr | None,
            Query(
                max_length=200,
                description="a web chat session id: the customer who chatted in it (an "
                "anonymous visitor too)",
            ),
        ] = None,
    ) -> dict[str, Any]:
        if not email and not phone and not (name and name.strip()) and not web_session:
            raise HTTPException(422, "give email, phone, name or web_session to search by")
        if phone:
            try:
                phone = e164(phone, phone_region)
            except NotAPhoneNumber as exc:
                raise HTTPException(422, str(exc)) from exc
        found = await to_thread.run_sync(_customers, email, phone, name, web_session)
        await trail.record(request, member, "read", [customer["id"] for customer in found])
        return {"customers": found}

    @router.get("/customers/{customer_id}", responses={404: {"description": "no such customer"}})
    async def one(customer_id: CustomerId, request: Request, member: Staff) -> dict[str, Any]:
        found = await to_thread.run_sync(_customer, customer_id)
        if found is None:
            raise HTTPException(404, f"no customer {customer_id}")
        await trail.record(request, member, "read", [customer_id])
        return found

    @router.get(
        "/customers/{customer_id}/interactions",
        responses={404: {"description": "no such customer"}},
    )
    async def interactions(
        customer_id: CustomerId,
        request: Request,
        member: Staff,
        after_id: Annotated[
            int, Query(ge=0, le=MAX_ID, description="page on: the last id seen")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> dict[str, Any]:
        found = await to_thread.run_sync(_timeline, customer_id, after_id, limit)
        if found is None:
            raise HTTPException(404, f"no customer {customer_id}")
        await trail.record(request, member, "read", [customer_id])
        return {"customer_id": customer_id, "interactions": found}

    def _pending(before_id: int | None, limit: int) -> list[dict[str, Any]]:
        with database.transaction() as session:
            found = pending_contacts.pending_contacts(session, before_id=before_id, limit=limit)
            return [
                {
                    "id": record.id,
                    "claimed_name": record.attributes.get("claimed_name"),
                    "addresses": addresses,
                    "messages": messages,
                    "created_at": record.created_at.isoformat(),
                }
                for record, addresses, messages in found
            ]

    def _accept(customer_id: int, member: StaffRecord, endpoint: str) -> dict[str, Any]:
        with database.transaction() as session:
            record = pending_contacts.accept(session, customer_id)
            record_in(session, endpoint, member, "change", {customer_id, record.id})
            return customer_json(record, customers.identities_of(session, record.id))

    @router.get("/pending-contacts")
    async def pending(
        _: Staff,
        before_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="page on: the last id seen")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Senders nobody vouched for and not on file, newest first; their messages are
        in `GET /customers/{id}/interactions`."""
        return {"pending_contacts": await to_thread.run_sync(_pending, before_id, limit)}

    @router.post(
        "/pending-contacts/{customer_id}/accept",
        responses={404: {"description": "no pending contact with this id"}},
    )
    async def accept(customer_id: CustomerId, request: Request, member: Staff) -> dict[str, Any]:
        """A person vouches for the sender: the pending contact becomes a customer (or
        joins the customer with its email on file); answers the customer."""
        try:
            return await to_thread.run_sync(_accept, customer_id, member, endpoint_of(request))
        except NotFound as exc:
            raise HTTPException(404, f"no pending contact {customer_id}") from exc

    return router
