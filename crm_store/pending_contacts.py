"""Pending contacts: people who wrote from an address nobody vouched for, not on file.

Mail whose sender no trusted receiver authenticated is kept, but its sender gets no
customer record: the mail joins a pending contact (`Customer.pending`), which lists,
searches, summaries and linking by contact leave out. Why a marked customer row and
not a table of its own: every message needs a conversation, a receipt, an outbox row
and a thread, and all of those hang off a customer; a marked row keeps the one path
every message takes, and making it a customer is one flag (or one merge), with its
history intact.

A pending contact becomes a customer when an authenticated message comes from its
address (`customers.resolve_identity`), or when a person accepts it (`accept`, the staff
API's `POST /api/v1/pending-contacts/{id}/accept`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.customers import customer_record, fill_blanks, find_by_contact
from crm_store.errors import NotFound
from crm_store.merging import merge
from crm_store.models import Customer, Identity, Interaction
from crm_store.records import CustomerRecord


def pending_contacts(
    session: Session, *, before_id: int | None = None, limit: int = 50
) -> list[tuple[CustomerRecord, list[str], int]]:
    """Pending contacts, newest first: each with its addresses and how many messages it
    sent."""
    query = select(Customer).where(Customer.pending.is_(True)).order_by(Customer.id.desc())
    if before_id is not None:
        query = query.where(Customer.id < before_id)
    found = []
    for row in session.scalars(query.limit(limit)):
        addresses = list(
            session.scalars(
                select(Identity.address).where(Identity.customer_id == row.id).order_by(Identity.id)
            )
        )
        messages = session.scalar(
            select(func.count())
            .select_from(Interaction)
            .where(Interaction.customer_id == row.id, Interaction.direction == "in")
        )
        found.append((customer_record(row), addresses, int(messages or 0)))
    return found


def accept(session: Session, customer_id: int) -> CustomerRecord:
    """A person vouches for a pending contact: it becomes a customer with the email it
    wrote from and the name it gave, or joins the customer who has that email on file
    (keeping that record as it is). `NotFound` for an id that is no pending contact."""
    row = session.get(Customer, customer_id)
    if row is None or not row.pending:
        raise NotFound(f"no pending contact {customer_id}")
    email = session.scalars(
        select(Identity.address)
        .where(Identity.customer_id == row.id, Identity.channel == "email")
        .order_by(Identity.id)
        .limit(1)
    ).first()
    existing = find_by_contact(session, email=email, phone=None)
    if existing is not None:
        merge(session, keep_id=existing.id, absorb_id=row.id)
        return customer_record(existing)
    row.pending = False
    fill_blanks(row, name=(row.attributes or {}).get("claimed_name"), email=email)
    session.flush()
    return customer_record(row)
