"""Finding whom a summary is about from what a salesperson types: a name, email or phone.

An email or a phone number (any common US or international spelling, normalised to
E.164) finds customers by that contact. Anything else is a name, matched without regard
to case against accounts and customers: exact matches first; only when there are none,
names starting with the text; only when there are none either, names containing it.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crm_store.customers import escaped_for_like, normalise_email
from crm_store.models import Account, Customer
from crm_store.summary_records import SummarySubject

DEFAULT_REGION = "US"
MAX_CANDIDATES = 20


def find_subjects(
    session: Session, query: str, *, limit: int = MAX_CANDIDATES
) -> list[SummarySubject]:
    """The accounts and customers the query may mean (accounts first), at most `limit`
    (ask for one more than you show to know whether there are more)."""
    text = query.strip()
    if not text:
        return []
    if "@" in text:
        return customers_where(session, Customer.email == normalise_email(text), limit)
    phone = as_e164(text)
    if phone is not None:
        return customers_where(session, Customer.phone == phone, limit)
    lowered = text.lower()
    pattern = escaped_for_like(lowered)
    for match in (
        lambda column: func.lower(column) == lowered,
        lambda column: func.lower(column).like(pattern + "%", escape="\\"),
        lambda column: func.lower(column).like("%" + pattern + "%", escape="\\"),
    ):
        found = accounts_where(session, match(Account.name), limit) + customers_where(
            session, match(Customer.name), limit
        )
        if found:
            return found[:limit]
    return []


def as_e164(text: str) -> str | None:
    """The text as an E.164 phone number if it is a valid one (US when no country code)."""
    if sum(ch.isdigit() for ch in text) < 7 or any(ch.isalpha() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def subject_label(
    name: str | None, email: str | None, phone: str | None, account: str | None
) -> str:
    """How a customer is shown in a list of candidates: name, contact, account."""
    label = name or email or phone or "unnamed customer"
    if name and (email or phone):
        label += f" <{email or phone}>"
    return f"{label}, {account}" if account else label


def accounts_where(
    session: Session, where: ColumnElement[bool], limit: int
) -> list[SummarySubject]:
    """The accounts that fit `where`, as candidates, oldest first."""
    rows = session.execute(
        select(Account.id, Account.name).where(where).order_by(Account.id).limit(limit)
    ).all()
    return [SummarySubject("account", row.id, row.name) for row in rows]


def customers_where(
    session: Session, where: ColumnElement[bool], limit: int
) -> list[SummarySubject]:
    """The customers (never pending contacts) that fit `where`, as candidates."""
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.email, Customer.phone, Account.name)
        .outerjoin(Account, Account.id == Customer.account_id)
        .where(where, Customer.pending.is_(False))  # a pending contact is no customer
        .order_by(Customer.id)
        .limit(limit)
    ).all()
    return [
        SummarySubject("customer", row[0], subject_label(row[1], row[2], row[3], row[4]))
        for row in rows
    ]
