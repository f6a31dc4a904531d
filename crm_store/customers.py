"""Customers and the identities (channel addresses) they are known by.

`merge` (one customer record absorbing another) lives in `crm_store.merging` and is
re-exported here, so callers find it with the rest of the customer functions.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.merging import merge as merge
from crm_store.models import Customer, Identity
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
    )


def identity_record(row: Identity) -> IdentityRecord:
    return IdentityRecord(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        address=row.address,
        verified=row.verified,
    )


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
) -> tuple[CustomerRecord, IdentityRecord]:
    """Find the customer behind a channel address, creating customer and identity if new.

    `verified` says the channel proves the email/phone given (a carrier's number, a
    widget identity signed by the host site, mail answered only to its sender). Then a
    new address with an email or phone already on file joins that customer, so one
    person's history stays in one timeline. Unproven contact details are claims: kept
    on the customer as `claimed_email` / `claimed_phone` attributes, never linking to
    (or revealing) anyone else's record and never becoming the address on file.
    """
    email = normalise_email(email)
    identity = _identity_row(session, channel, address)
    if identity is not None:
        customer = session.get_one(Customer, identity.customer_id)
        _note_contact(customer, name=name, email=email, phone=phone, verified=verified)
        if verified and not identity.verified:  # the channel proves the address now
            identity.verified = True
            session.flush()
        return customer_record(customer), identity_record(identity)

    customer = _find_by_contact(session, email=email, phone=phone) if verified else None
    if customer is None:
        customer = Customer(attributes={})
        session.add(customer)
    _note_contact(customer, name=name, email=email, phone=phone, verified=verified)
    session.flush()
    identity = Identity(
        customer_id=customer.id, channel=channel, address=address, verified=verified
    )
    session.add(identity)
    session.flush()
    return customer_record(customer), identity_record(identity)


def _note_contact(
    customer: Customer,
    *,
    name: str | None,
    email: str | None,
    phone: str | None,
    verified: bool,
) -> None:
    """Fill what the record lacks; known details are never overwritten."""
    if verified:
        _fill_blanks(customer, name=name, email=email, phone=phone)
        return
    _fill_blanks(customer, name=name)
    claims = {"claimed_email": email, "claimed_phone": phone}
    claims = {key: value for key, value in claims.items() if value}
    if claims:
        customer.attributes = {**(customer.attributes or {}), **claims}


def _find_by_contact(session: Session, *, email: str | None, phone: str | None) -> Customer | None:
    if email:
        found = session.scalars(
            select(Customer).where(Customer.email == email).order_by(Customer.id).limit(1)
        ).first()
        if found is not None:
            return found
    if phone:
        return session.scalars(
            select(Customer).where(Customer.phone == phone).order_by(Customer.id).limit(1)
        ).first()
    return None


def _fill_blanks(customer: Customer, **values: str | None) -> None:
    """Record contact details the store did not have; never overwrite known ones."""
    for field_name, value in values.items():
        if value and not getattr(customer, field_name):
            setattr(customer, field_name, value)


def find_customers(
    session: Session, *, email: str | None = None, phone: str | None = None, limit: int = 50
) -> list[CustomerRecord]:
    query = select(Customer).order_by(Customer.id).limit(limit)
    email = normalise_email(email)
    if email:
        query = query.where(Customer.email == email)
    if phone:
        query = query.where(Customer.phone == phone)
    return [customer_record(row) for row in session.scalars(query)]


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
