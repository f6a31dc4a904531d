"""Customers and the identities (channel addresses) they are known by.

`merge` (one customer record absorbing another) lives in `crm_store.merging` and is
re-exported here, so callers find it with the rest of the customer functions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from crm_store.event_log import record_event
from crm_store.merging import merge as merge
from crm_store.models import Conversation, Customer, Identity
from crm_store.records import CustomerRecord, IdentityRecord


def customer_record(row: Customer) -> CustomerRecord:
    return CustomerRecord(
        id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        lifecycle_stage=row.lifecycle_stage,
        account_id=row.account_id,
        attributes=dict(row.attributes or {}),
        created_at=row.created_at,
        pending=bool(row.pending),
    )


def identity_record(row: Identity) -> IdentityRecord:
    return IdentityRecord(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        address=row.address,
        verified=row.verified,
    )


@dataclass(frozen=True, slots=True)
class LatestConversation:
    """The identity's latest conversation as read with it (None: it has none), for
    `history.current_conversation`, which then does not read it again."""

    row: Conversation | None


@functools.cache
def _identity_and_customer(with_latest: bool = False) -> Any:
    """Built once (every inbound message asks): building a statement cost more CPU
    than running it (bench/turn_cost.py). `with_latest`: the identity's latest
    conversation (its highest id, as `history` finds it) in the same statement."""
    statement = (
        select(Identity, Customer)
        .join(Customer, Customer.id == Identity.customer_id)
        .where(Identity.channel == bindparam("channel"), Identity.address == bindparam("address"))
    )
    if not with_latest:
        return statement
    latest = (
        select(func.max(Conversation.id))
        .where(Conversation.identity_id == Identity.id)
        .correlate(Identity)
        .scalar_subquery()
    )
    return statement.add_columns(Conversation).outerjoin(Conversation, Conversation.id == latest)


def normalise_email(email: str | None) -> str | None:
    """Emails are kept and searched lower-case: Ada@Example.com is ada@example.com."""
    return email.strip().lower() if email and email.strip() else None


def resolve_identity(
    session: Session,
    channel: str,
    address: str,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    verified: bool = False,
    address_is_claim: bool = False,
) -> tuple[CustomerRecord, IdentityRecord]:
    """Find the customer behind a channel address, creating customer and identity if new.
    (`resolve_identity_and_latest` reads the identity's latest conversation with it.)

    `verified` says the channel proves the email/phone given (a carrier's number, a
    widget identity signed by the host site, mail a trusted receiver authenticated).
    Then a new address with an email or phone already on file joins that customer, so
    one person's history stays in one timeline. Unproven contact details are claims:
    kept on the customer as `claimed_email` / `claimed_phone` attributes, never linking
    to (or revealing) anyone else's record and never becoming the address on file.

    `address_is_claim` says the channel address itself is unproven (mail nobody
    vouched for). Such an address joins the customer who has it on file, since every
    answer goes only to that address, but its name is a claim too, and an address not
    on file gets a pending contact (`Customer.pending`), not a customer. A pending
    contact becomes a customer when an authenticated message comes from its address, or
    joins the customer who has its address on file by then.
    """
    customer, identity, _ = _resolve(
        session, channel, address, name=name, email=email, phone=phone, verified=verified,
        address_is_claim=address_is_claim, with_latest=False,
    )  # fmt: skip
    return customer, identity


def resolve_identity_and_latest(
    session: Session,
    channel: str,
    address: str,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    verified: bool = False,
    address_is_claim: bool = False,
) -> tuple[CustomerRecord, IdentityRecord, LatestConversation | None]:
    """`resolve_identity`, and the identity's latest conversation read in the same
    statement as the identity (an inbound message asks both: one round trip fewer a
    turn, bench/turn_cost.py). None where it was not read: a pending contact settled
    here (its records may have moved), for `history.current_conversation` to read."""
    return _resolve(
        session, channel, address, name=name, email=email, phone=phone, verified=verified,
        address_is_claim=address_is_claim, with_latest=True,
    )  # fmt: skip


def _resolve(
    session: Session,
    channel: str,
    address: str,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
    verified: bool,
    address_is_claim: bool,
    with_latest: bool,
) -> tuple[CustomerRecord, IdentityRecord, LatestConversation | None]:
    email = normalise_email(email)
    if address_is_claim and not verified:
        # Only the address itself may find a record: the rest of the profile is a claim.
        email, phone = (email if email == address else None), (phone if phone == address else None)
    # The identity and its customer in one statement (every inbound message asks).
    known = session.execute(
        _identity_and_customer(with_latest), {"channel": channel, "address": address}
    ).one_or_none()
    if known is not None:
        identity, customer = known[0], known[1]
        latest = LatestConversation(known[2]) if with_latest else None
        if customer.pending:
            customer = _settle_pending(
                session, customer, email=email, phone=phone, verified=verified
            )
            session.refresh(identity)
            latest = None
        _note_contact(
            customer, name=name, email=email, phone=phone, verified=verified,
            address_is_claim=address_is_claim,
        )  # fmt: skip
        if verified and not identity.verified:  # the channel proves the address now
            identity.verified = True
            session.flush()
        return customer_record(customer), identity_record(identity), latest

    may_link = address_is_claim or verified
    customer = find_by_contact(session, email=email, phone=phone) if may_link else None
    created = customer is None
    if customer is None:
        customer = Customer(attributes={}, pending=address_is_claim and not verified)
        session.add(customer)
    _note_contact(
        customer, name=name, email=email, phone=phone, verified=verified,
        address_is_claim=address_is_claim,
    )  # fmt: skip
    session.flush()
    if created and not customer.pending:  # a pending contact is nobody yet
        record_event(
            session,
            "customer.created",
            key=str(customer.id),
            actor="customer",
            customer_id=customer.id,
            channel=channel,
        )
    identity = Identity(
        customer_id=customer.id, channel=channel, address=address, verified=verified
    )
    session.add(identity)
    session.flush()
    # A new identity has no conversation yet.
    latest = LatestConversation(None) if with_latest else None
    return customer_record(customer), identity_record(identity), latest


def _settle_pending(
    session: Session, pending: Customer, *, email: str | None, phone: str | None, verified: bool
) -> Customer:
    """A pending contact wrote again: it joins the customer who has its address on file
    by now, or becomes a customer itself when this message is authenticated."""
    on_file = find_by_contact(session, email=email, phone=phone)
    if on_file is not None and on_file.id != pending.id:
        merge(session, keep_id=on_file.id, absorb_id=pending.id)
        return on_file
    if verified:
        pending.pending = False
        session.flush()
    return pending


def _note_contact(
    customer: Customer,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
    verified: bool,
    address_is_claim: bool = False,
) -> None:
    """Fill what the record lacks; known details are never overwritten."""
    if verified:
        fill_blanks(customer, name=name, email=email, phone=phone)
        return
    if address_is_claim:
        # An unproven sender's name is a claim: it never becomes the name a greeting or
        # a summary shows. A pending contact keeps it for the person who looks at it; a
        # customer's record takes nothing from a mail anyone could have written.
        if customer.pending and name:
            customer.attributes = {**(customer.attributes or {}), "claimed_name": name}
        return
    fill_blanks(customer, name=name)
    claims = {"claimed_email": email, "claimed_phone": phone}
    claims = {key: value for key, value in claims.items() if value}
    if claims:
        customer.attributes = {**(customer.attributes or {}), **claims}


def find_by_contact(session: Session, *, email: str | None, phone: str | None) -> Customer | None:
    """The customer with this email (else phone) on file; pending contacts are none.
    (Store-internal: an ORM row, for the store's own modules.)"""
    customers = select(Customer).where(Customer.pending.is_(False)).order_by(Customer.id)
    if email:
        found = session.scalars(customers.where(Customer.email == email).limit(1)).first()
        if found is not None:
            return found
    if phone:
        return session.scalars(customers.where(Customer.phone == phone).limit(1)).first()
    return None


def address_on_file(session: Session, channel: str, address: str) -> bool:
    """Is this address a customer's: an identity of a customer (not a pending contact),
    or, for email, a customer's email on file?"""
    identity = _identity_row(session, channel, address)
    if identity is not None:
        return not session.get_one(Customer, identity.customer_id).pending
    if channel == "email":
        return find_by_contact(session, email=normalise_email(address), phone=None) is not None
    return False


def fill_blanks(customer: Customer, **values: str | None) -> None:
    """Record contact details the store did not have; never overwrite known ones."""
    for field_name, value in values.items():
        if value and not getattr(customer, field_name):
            setattr(customer, field_name, value)


def find_customers(
    session: Session, *, email: str | None = None, phone: str | None = None, limit: int = 50
) -> list[CustomerRecord]:
    query = select(Customer).where(Customer.pending.is_(False)).order_by(Customer.id).limit(limit)
    email = normalise_email(email)
    if email:
        query = query.where(Customer.email == email)
    if phone:
        query = query.where(Customer.phone == phone)
    return [customer_record(row) for row in session.scalars(query)]


def escaped_for_like(text: str) -> str:
    """`text` with LIKE's wildcards and the escape character (backslash) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_customers_named(session: Session, name: str, *, limit: int = 50) -> list[CustomerRecord]:
    """Customers by name, without regard to case: those with exactly that name; when
    there are none, names starting with it; when none either, names containing it (the
    order `crm_store.subjects` finds accounts by for summaries)."""
    lowered = name.strip().lower()
    if not lowered:
        return []
    pattern = escaped_for_like(lowered)
    named = func.lower(Customer.name)
    for match in (
        named == lowered,
        named.like(pattern + "%", escape="\\"),
        named.like("%" + pattern + "%", escape="\\"),
    ):
        query = (
            select(Customer)
            .where(Customer.pending.is_(False), match)
            .order_by(Customer.id)
            .limit(limit)
        )
        found = [customer_record(row) for row in session.scalars(query)]
        if found:
            return found
    return []


def get_customer(session: Session, customer_id: int) -> CustomerRecord | None:
    row = session.get(Customer, customer_id)
    return customer_record(row) if row is not None else None


def get_identity(session: Session, identity_id: int) -> IdentityRecord | None:
    row = session.get(Identity, identity_id)
    return identity_record(row) if row is not None else None


def identities_of(session: Session, customer_id: int) -> list[IdentityRecord]:
    rows = session.scalars(
        select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.id)
    )
    return [identity_record(row) for row in rows]


def _identity_row(session: Session, channel: str, address: str) -> Identity | None:
    return session.scalars(
        select(Identity).where(Identity.channel == channel, Identity.address == address)
    ).one_or_none()


def find_identity(session: Session, channel: str, address: str) -> IdentityRecord | None:
    row = _identity_row(session, channel, address)
    return identity_record(row) if row is not None else None
