"""Support tickets and their events. Numbers read `T-1001`, `T-1002`, ... (the NLU's
ticket_number entity): short enough to say on the phone, never reused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store import webhooks
from crm_store.base import utcnow
from crm_store.event_log import record_event
from crm_store.models import StaffUser, Ticket, TicketEvent
from crm_store.models.tickets import TICKET_PRIORITIES, TICKET_STATUSES
from crm_store.records import TicketRecord
from crm_store.vocabulary import OPEN_TICKET_STATUSES, TicketStatus

NUMBER_OFFSET = 1000


def ticket_record(row: Ticket) -> TicketRecord:
    return TicketRecord(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        conversation_id=row.conversation_id,
        subject=row.subject,
        description=row.description,
        status=row.status,
        priority=row.priority,
        assigned_staff_id=row.assigned_staff_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def open_ticket(
    session: Session,
    *,
    customer_id: int,
    subject: str,
    description: str = "",
    conversation_id: int | None = None,
    priority: str = "normal",
    author: str = "bot",
    staff_id: int | None = None,
) -> TicketRecord:
    """Create a ticket (status open) and its `created` event; returns it with its number."""
    if priority not in TICKET_PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(TICKET_PRIORITIES)}")
    # The number comes from the id, known only after the insert: a unique placeholder
    # first, replaced in the same transaction.
    row = Ticket(
        number=f"pending-{uuid.uuid4().hex[:12]}",
        customer_id=customer_id,
        conversation_id=conversation_id,
        subject=subject[:300],
        description=description,
        priority=priority,
    )
    session.add(row)
    session.flush()
    row.number = f"T-{NUMBER_OFFSET + row.id}"
    add_event(session, row.id, kind="created", author=author, staff_id=staff_id, body=subject)
    session.flush()
    return ticket_record(row)


def add_event(
    session: Session,
    ticket_id: int,
    *,
    kind: str,
    author: str,
    staff_id: int | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind=kind,
            author=author,
            staff_id=staff_id,
            body=body,
            data=data or {},
        )
    )


def ticket_of_customer(session: Session, customer_id: int, number: str) -> TicketRecord | None:
    """The ticket with this number if it is this customer's; None otherwise, whether or
    not it exists, so a caller cannot tell someone else's ticket from a missing one."""
    row = session.scalars(
        select(Ticket).where(Ticket.number == number.upper(), Ticket.customer_id == customer_id)
    ).one_or_none()
    return ticket_record(row) if row is not None else None


def open_tickets_of(session: Session, customer_id: int, *, limit: int = 10) -> list[TicketRecord]:
    rows = session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_TICKET_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [ticket_record(row) for row in rows]


def ticket_of_conversation(
    session: Session, customer_id: int, conversation_id: int
) -> TicketRecord | None:
    """The one open ticket a conversation's work belongs on: the newest open ticket of
    this conversation, else the customer's only open ticket (a handoff opens none when
    the customer has one open already). None when there is neither, or when the
    customer has several open tickets and none of them is this conversation's."""
    candidates = open_tickets_of(session, customer_id, limit=50)
    for ticket in candidates:
        if ticket.conversation_id == conversation_id:
            return ticket
    return candidates[0] if len(candidates) == 1 else None


# Staff work on tickets: listing, one ticket with its history, changes as events.

UNCHANGED: Any = object()
CHANGE_EVENTS = {
    "status": "status_changed",
    "priority": "priority_changed",
    "assigned_staff_id": "assigned",
}


@dataclass(frozen=True, slots=True)
class TicketEventRecord:
    id: int
    ticket_id: int
    kind: str
    author: str
    staff_id: int | None
    body: str
    data: dict[str, Any]
    created_at: datetime


class InvalidTicketChange(ValueError):
    """A value a ticket cannot take; `field` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def ticket_by_number(session: Session, number: str) -> TicketRecord | None:
    """Any ticket by number: for staff, never for the customer-facing bot."""
    row = _ticket_row(session, number)
    return ticket_record(row) if row is not None else None


def list_tickets(
    session: Session,
    *,
    customer_id: int | None = None,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[TicketRecord]:
    """Tickets, newest first; `before_id` pages on from the last id seen."""
    query = select(Ticket).order_by(Ticket.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    if before_id is not None:
        query = query.where(Ticket.id < before_id)
    return [ticket_record(row) for row in session.scalars(query)]


def ticket_events(session: Session, ticket_id: int) -> list[TicketEventRecord]:
    rows = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    )
    return [
        TicketEventRecord(
            id=row.id,
            ticket_id=row.ticket_id,
            kind=row.kind,
            author=row.author,
            staff_id=row.staff_id,
            body=row.body,
            data=dict(row.data or {}),
            created_at=row.created_at,
        )
        for row in rows
    ]


def change_ticket(
    session: Session,
    number: str,
    *,
    staff_id: int | None,
    author: str = "agent",
    status: str | None = None,
    priority: str | None = None,
    assigned_staff_id: int | None = UNCHANGED,
) -> TicketRecord | None:
    """Change status, priority or assignee (None unassigns); each change that alters
    something is recorded as an event with `{"from", "to"}`. None for an unknown number.
    The row is locked first, so two staff changing one ticket at once queue up."""
    if status is not None and status not in TICKET_STATUSES:
        raise InvalidTicketChange("status", f"status must be one of {', '.join(TICKET_STATUSES)}")
    if priority is not None and priority not in TICKET_PRIORITIES:
        raise InvalidTicketChange(
            "priority", f"priority must be one of {', '.join(TICKET_PRIORITIES)}"
        )
    if assigned_staff_id not in (None, UNCHANGED):
        staff = session.get(StaffUser, assigned_staff_id)
        if staff is None or not staff.active:
            raise InvalidTicketChange(
                "assigned_staff_id", f"no active staff user {assigned_staff_id}"
            )
    row = _ticket_row(session, number, lock=True)
    if row is None:
        return None
    wanted = {"status": status, "priority": priority, "assigned_staff_id": assigned_staff_id}
    changes = []
    for field, value in wanted.items():
        if value is UNCHANGED or (value is None and field != "assigned_staff_id"):
            continue
        before = getattr(row, field)
        if before == value:
            continue
        setattr(row, field, value)
        changes.append({"field": field, "from": before, "to": value})
        add_event(
            session,
            row.id,
            kind=CHANGE_EVENTS[field],
            author=author,
            staff_id=staff_id,
            data={"from": before, "to": value},
        )
    session.flush()
    if status == TicketStatus.SOLVED and any(c["field"] == "status" for c in changes):
        record_event(  # a journey may follow a solved ticket (`ticket.resolved`)
            session,
            "ticket.resolved",
            key=f"{row.id}:{utcnow().isoformat()}",
            actor=author[:10],
            customer_id=row.customer_id,
            staff_id=staff_id,
            data={"number": row.number},
        )
    if changes:
        webhooks.emit(
            session,
            "ticket.updated",
            subject=f"ticket:{row.number}",
            customer_id=row.customer_id,
            data={
                "number": row.number,
                "customer_id": row.customer_id,
                "status": row.status,
                "priority": row.priority,
                "assigned_staff_id": row.assigned_staff_id,
                "changes": changes,
            },
        )
    return ticket_record(row)


def _ticket_row(session: Session, number: str, *, lock: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.number == number.strip().upper())
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()
