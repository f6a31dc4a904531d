"""Leads on SQLite and PostgreSQL: round-robin owners and capturing a customer's interest."""

from __future__ import annotations

from sqlalchemy import select

from crm_store import Database, customers, leads, staff
from crm_store.models import Account, Customer, Lead, StaffUser


def make_sales(database: Database, *names: str, role: str = "sales") -> list[int]:
    with database.transaction() as session:
        return [
            staff.create_staff(
                session, name=name, email=f"{name.split()[0].lower()}@example.com", role=role
            )[0].id
            for name in names
        ]


def new_customer(database: Database, **fields: object) -> int:
    with database.transaction() as session:
        customer = Customer(attributes={}, **fields)
        session.add(customer)
        session.flush()
        return customer.id


def capture(database: Database, customer_id: int, **changes: str) -> tuple[int, int | None]:
    values = {
        "name": "Lin Chen",
        "email": "lin@initech.example",
        "company": "Initech",
        "interest": "Support automation",
        **changes,
    }
    with database.transaction() as session:
        lead, owner = leads.capture_lead(
            session, customer_id=customer_id, source_channel="web", **values
        )
    assert (owner.id if owner else None) == lead.owner_staff_id
    return lead.id, lead.owner_staff_id


def test_no_active_sales_person_means_no_owner(database: Database) -> None:
    make_sales(database, "Alice Agent", role="agent")
    (gone,) = make_sales(database, "Gone Sales")
    with database.transaction() as session:
        session.get_one(StaffUser, gone).active = False
    with database.transaction() as session:
        assert leads.next_sales_owner(session) is None
    _, owner = capture(database, new_customer(database))
    assert owner is None


def test_owners_go_round_robin_among_active_sales_staff(database: Database) -> None:
    sally, tom = make_sales(database, "Sally Sales", "Tom Sales")
    make_sales(database, "Alice Agent", role="agent")
    with database.transaction() as session:
        first = leads.next_sales_owner(session)
    assert first is not None and (first.id, first.name, first.role) == (
        sally,
        "Sally Sales",
        "sales",
    )
    owners = [capture(database, new_customer(database))[1] for _ in range(3)]
    assert owners == [sally, tom, sally]
    (newcomer,) = make_sales(database, "Nia Sales")
    # Someone never given a lead is next, then the one given a lead longest ago.
    owners = [capture(database, new_customer(database))[1] for _ in range(2)]
    assert owners == [newcomer, tom]


def test_a_capture_makes_a_lead_and_keeps_the_typed_email_as_a_claim(database: Database) -> None:
    (sally,) = make_sales(database, "Sally Sales")
    with database.transaction() as session:
        initech = Account(name="Initech", attributes={})
        session.add(initech)
        session.flush()
        account_id = initech.id
    customer_id = new_customer(database, account_id=account_id)
    with database.transaction() as session:
        lead, owner = leads.capture_lead(
            session,
            customer_id=customer_id,
            name="Lin Chen",
            email="lin@initech.example",
            company="Initech",
            interest="Support automation",
            source_channel="sms",
        )
        customer = customers.get_customer(session, customer_id)
    assert owner is not None and owner.name == "Sally Sales"
    assert (lead.customer_id, lead.account_id, lead.owner_staff_id) == (
        customer_id,
        account_id,
        sally,
    )
    assert (lead.company, lead.interest, lead.status, lead.source_channel) == (
        "Initech",
        "Support automation",
        "new",
        "sms",
    )
    assert customer is not None and customer.lifecycle_stage == "lead"
    assert customer.name == "Lin Chen" and customer.email is None
    assert customer.attributes == {"lead_email": "lin@initech.example"}


def test_a_second_capture_updates_the_open_lead(database: Database) -> None:
    sally, _ = make_sales(database, "Sally Sales", "Tom Sales")
    customer_id = new_customer(database, name="Lin", lifecycle_stage="customer")
    first, owner = capture(database, customer_id)
    again, same_owner = capture(database, customer_id, name="Other", company="Initrode")
    assert again == first and same_owner == owner == sally
    with database.transaction() as session:
        rows = session.scalars(select(Lead)).all()
        customer = session.get_one(Customer, customer_id)
    assert [(row.company, row.interest) for row in rows] == [("Initrode", "Support automation")]
    assert customer.name == "Lin"  # a name on file is kept
    assert customer.lifecycle_stage == "customer"  # never moved back to `lead`


def test_a_closed_lead_is_not_reopened(database: Database) -> None:
    make_sales(database, "Sally Sales", "Tom Sales")
    customer_id = new_customer(database)
    first, _ = capture(database, customer_id)
    with database.transaction() as session:
        session.get_one(Lead, first).status = "won"
    second, _ = capture(database, customer_id)
    assert second != first
    with database.transaction() as session:
        statuses = session.scalars(select(Lead.status).order_by(Lead.id)).all()
    assert statuses == ["won", "new"]
