"""Tickets for staff: list, open, read with their history, change status, priority and
assignee. Every change is kept as a ticket event naming the staff user and `{from, to}`."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from channels.text import MessageText, StorableStr
from crm_store import Database, customers, tickets
from crm_store.base import MAX_ID
from crm_store.records import StaffRecord, TicketRecord
from crm_store.tickets import InvalidTicketChange, TicketEventRecord
from crm_store.vocabulary import TicketStatus

Status = TicketStatus
Priority = Literal["low", "normal", "high", "urgent"]
TicketNumber = Annotated[str, Path(min_length=1, max_length=20)]


class NewTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int = Field(ge=1, le=MAX_ID)
    subject: MessageText = Field(max_length=300)
    description: StorableStr = Field(default="", max_length=20_000)
    priority: Priority = "normal"
    assigned_staff_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class TicketChange(BaseModel):
    """Only the fields given change; `assigned_staff_id: null` unassigns."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    priority: Priority | None = None
    assigned_staff_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @field_validator("status", "priority", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value


def ticket_json(
    record: TicketRecord, events: list[TicketEventRecord] | None = None
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": record.id,
        "number": record.number,
        "customer_id": record.customer_id,
        "conversation_id": record.conversation_id,
        "subject": record.subject,
        "description": record.description,
        "status": record.status,
        "priority": record.priority,
        "assigned_staff_id": record.assigned_staff_id,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
    if events is not None:
        shown["events"] = [
            {
                "kind": e.kind,
                "author": e.author,
                "staff_id": e.staff_id,
                "body": e.body,
                "data": e.data,
                "created_at": e.created_at.isoformat(),
            }
            for e in events
        ]
    return shown


def tickets_router(database: Database, staff_dependency: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])
    Staff = Annotated[StaffRecord, Depends(staff_dependency)]

    def _list(
        customer_id: int | None, status: str | None, before_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        with database.transaction() as session:
            found = tickets.list_tickets(
                session, customer_id=customer_id, status=status, before_id=before_id, limit=limit
            )
        return [ticket_json(t) for t in found]

    def _with_events(session: Session, record: TicketRecord) -> dict[str, Any]:
        return ticket_json(record, tickets.ticket_events(session, record.id))

    def _open(new: NewTicket, member: StaffRecord) -> dict[str, Any]:
        with database.transaction() as session:
            if customers.get_customer(session, new.customer_id) is None:
                raise HTTPException(422, f"body.customer_id: no customer {new.customer_id}")
            record = tickets.open_ticket(
                session,
                customer_id=new.customer_id,
                subject=new.subject.strip(),
                description=new.description,
                priority=new.priority,
                author="agent",
                staff_id=member.id,
            )
            if new.assigned_staff_id is not None:
                record = _change(session, record.number, member, new.assigned_staff_id)
            return _with_events(session, record)

    def _change(
        session: Session, number: str, member: StaffRecord, assignee: Any, **values: Any
    ) -> TicketRecord:
        try:
            changed = tickets.change_ticket(
                session, number, staff_id=member.id, assigned_staff_id=assignee, **values
            )
        except InvalidTicketChange as exc:
            raise HTTPException(422, f"body.{exc.field}: {exc}") from exc
        if changed is None:
            raise HTTPException(404, f"no ticket {number}")
        return changed

    def _patch(number: str, change: TicketChange, member: StaffRecord) -> dict[str, Any]:
        given = change.model_fields_set
        assignee = change.assigned_staff_id if "assigned_staff_id" in given else tickets.UNCHANGED
        with database.transaction() as session:
            record = _change(
                session, number, member, assignee, status=change.status, priority=change.priority
            )
            return _with_events(session, record)

    def _one(number: str) -> dict[str, Any]:
        with database.transaction() as session:
            record = tickets.ticket_by_number(session, number)
            if record is None:
                raise HTTPException(404, f"no ticket {number}")
            return _with_events(session, record)

    @router.get("")
    async def list_tickets(
        _: Staff,
        customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        status: Status | None = None,
        before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        found = await to_thread.run_sync(_list, customer_id, status, before_id, limit)
        return {"tickets": found}

    @router.post("", status_code=201)
    async def open_ticket(new: NewTicket, member: Staff) -> dict[str, Any]:
        return await to_thread.run_sync(_open, new, member)

    @router.get("/{number}", responses={404: {"description": "no such ticket"}})
    async def one(number: TicketNumber, _: Staff) -> dict[str, Any]:
        return await to_thread.run_sync(_one, number)

    @router.patch("/{number}", responses={404: {"description": "no such ticket"}})
    async def change(number: TicketNumber, body: TicketChange, member: Staff) -> dict[str, Any]:
        if not body.model_fields_set:
            raise HTTPException(422, "give status, priority or assigned_staff_id to change")
        return await to_thread.run_sync(_patch, number, body, member)

    return router
