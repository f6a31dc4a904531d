"""`switchboard demo seed`: a fictional, deterministic store to try every action on.

The same seed always draws the same companies, people, orders and tickets; dates are
placed relative to the moment of seeding, so the demo looks current whenever it runs.
Three fixed customers (`DEMO_CUSTOMERS`) carry the stories the demo page links to.
A seeded store is recognised by its Acme Corp account, and is never seeded twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import Account, Customer, Order, StaffUser
from crm_store.records import StaffRecord
from crm_store.staff import create_staff
from demo.consents import seed_marketing_consents
from demo.people import DemoPeople
from demo.sales_history import SalesHistory
from demo.support_history import seed_support_history

SEED = 20261122
MARKER = "demo_seed"


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    name: str
    email: str
    phone: str | None
    account: str | None
    story: str


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "Ada Lovelace",
        "ada@example.com",
        "+14155550101",
        "Acme Corp",
        "orders 4417 (shipped with UPS, tracking link), 4418 (delivered) and 4420 (placed); "
        "no open ticket",
    ),
    DemoCustomer(
        "Grace Hopper",
        "grace@example.com",
        "+14155550102",
        "Globex",
        'order 5120 is delayed; one open ticket, T-1001 "Invoice shows the wrong VAT number"',
    ),
    DemoCustomer(
        "Alan Turing",
        "alan@example.com",
        None,
        None,
        "a lead: no account, no orders yet",
    ),
)

DEMO_STAFF = (
    ("Priya Shah", "priya.shah@example.com", "agent"),
    ("Tom Becker", "tom.becker@example.com", "agent"),
    ("Lena Okafor", "lena.okafor@example.com", "agent"),
    ("Marco Rossi", "marco.rossi@example.com", "sales"),
    ("Sofia Lindqvist", "sofia.lindqvist@example.com", "sales"),
    ("Dana Whitfield", "dana.whitfield@example.com", "admin"),
)


@dataclass(frozen=True, slots=True)
class StaffToken:
    email: str
    role: str
    token: str


@dataclass(frozen=True, slots=True)
class SeedOutcome:
    seeded: bool
    reason: str
    counts: dict[str, int] = field(default_factory=dict)
    tokens: tuple[StaffToken, ...] = ()


def already_seeded(session: Session) -> bool:
    rows = session.scalars(select(Account.attributes).where(Account.name == "Acme Corp"))
    return any((attributes or {}).get(MARKER) for attributes in rows)


def store_is_empty(session: Session) -> bool:
    return not any(
        session.scalar(select(exists().where(column.isnot(None))))
        for column in (Account.id, Customer.id, Order.id)
    )


def seed_demo(
    session: Session, *, now: datetime | None = None, if_empty: bool = False
) -> SeedOutcome:
    """Fill the store with the demo set in this transaction, unless it is there already
    (or, with `if_empty`, unless the store holds anything at all)."""
    if already_seeded(session):
        return SeedOutcome(False, "the demo data is there already (Acme Corp is seeded)")
    if if_empty and not store_is_empty(session):
        return SeedOutcome(
            False, "the store holds data of its own; run `switchboard demo seed` to add it"
        )
    now = now or utcnow()
    staff, tokens = _demo_staff(session)
    people = DemoPeople(session, random.Random(SEED), now, staff)
    people.build(DEMO_CUSTOMERS)
    history = SalesHistory(people.draw, people.orders, people.activity)
    history.buying([c for c in people.people if c.lifecycle_stage in ("customer", "churned")])
    history.closed_leads(people.people)
    seed_marketing_consents(people.draw, people.people, SEED + 1)
    session.flush()
    support = seed_support_history(session, now, staff, {c.email for c in DEMO_CUSTOMERS})
    return SeedOutcome(
        True,
        "seeded the demo data",
        {"staff users": len(staff), **people.counts, **support},
        tokens,
    )


def _demo_staff(session: Session) -> tuple[list[StaffRecord], tuple[StaffToken, ...]]:
    """The demo staff users, created where missing (a token exists only for those)."""
    existing = {
        row.email: row
        for row in session.scalars(
            select(StaffUser).where(StaffUser.email.in_([e for _, e, _ in DEMO_STAFF]))
        )
    }
    staff, tokens = [], []
    for name, email, role in DEMO_STAFF:
        if email in existing:
            row = existing[email]
            staff.append(StaffRecord(row.id, row.name, row.email, row.role, None, row.active))
            continue
        record, token = create_staff(session, name=name, email=email, role=role)
        staff.append(record)
        tokens.append(StaffToken(record.email, record.role, token))
    return staff, tuple(tokens)
