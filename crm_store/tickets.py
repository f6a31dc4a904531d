"""Support tickets and their events. Numbers read `T-1001`, `T-1002`, ... (the NLU's
ticket_number entity): short enough to say on the phone, never reused."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import Ticket, TicketEvent
from crm_store.models.tickets import TICKET_PRIORITIES
from crm_store.records import TicketRecord

NUMBER_OFFSET = 1000
OPEN_STATUSES = ("open", "pending")


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
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [ticket_record(row) for row in rows]
