"""Recording an order moves the customer's lifecycle stage in the same transaction, with
its `lifecycle.changed` event, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_store import Database, NotFound, leads
from crm_store.base import utcnow
from crm_store.models import Customer, LoggedEvent
from crm_store.orders import record_order


def new_customer(database: Database, stage: str = "visitor", *, pending: bool = False) -> int:
    with database.transaction() as session:
        customer = Customer(attributes={}, lifecycle_stage=stage, pending=pending)
        session.add(customer)
        session.flush()
        return customer.id


def order(database: Database, customer_id: int, number: str, **fields: object) -> int:
    with database.transaction() as session:
        return record_order(
            session, customer_id=customer_id, number=number, total_cents=4_200, **fields
        ).id


def stage_and_moves(database: Database, customer_id: int) -> tuple[str, list[tuple[str, str]]]:
    with database.transaction() as session:
        stage = session.get_one(Customer, customer_id).lifecycle_stage
        events = session.scalars(
            select(LoggedEvent)
            .where(LoggedEvent.customer_id == customer_id, LoggedEvent.type == "lifecycle.changed")
            .order_by(LoggedEvent.id)
        ).all()
        return stage, [(e.data["from"], e.data["to"]) for e in events]


def test_first_purchase_makes_a_customer_and_the_second_a_repeat_one(database: Database) -> None:
    lead = new_customer(database, "lead")
    first = order(database, lead, "a-1")
    assert stage_and_moves(database, lead) == ("customer", [("lead", "customer")])
    order(database, lead, "a-2")
    order(database, lead, "a-3")  # already repeat: nothing more to log
    assert stage_and_moves(database, lead) == (
        "repeat",
        [("lead", "customer"), ("customer", "repeat")],
    )
    with database.transaction() as session:
        event = session.scalars(
            select(LoggedEvent).where(LoggedEvent.type == "lifecycle.changed")
        ).first()
    assert event is not None
    assert event.key == f"lifecycle.changed:{lead}:lead:customer:order-{first}"
    assert event.data == {"from": "lead", "to": "customer", "reason": "purchase", "order_id": first}
    assert event.detail == "customer" and event.actor == "system"


def set_stage(database: Database, customer_id: int, stage: str) -> None:
    with database.transaction() as session:
        session.get_one(Customer, customer_id).lifecycle_stage = stage


def test_an_at_risk_lapsed_or_churned_customer_who_buys_again_is_back(database: Database) -> None:
    long_ago = utcnow() - timedelta(days=300)
    silent = new_customer(database)
    order(database, silent, "b-1", placed_at=long_ago)
    set_stage(database, silent, "at_risk")  # as the stage job would
    order(database, silent, "b-2")
    assert stage_and_moves(database, silent) == (
        "repeat",
        [("visitor", "customer"), ("at_risk", "repeat")],
    )
    churned = new_customer(database, "churned")  # set by a person, never bought here
    order(database, churned, "c-1")
    assert stage_and_moves(database, churned) == ("customer", [("churned", "customer")])
    set_stage(database, churned, "lapsed")
    order(database, churned, "c-2")
    assert stage_and_moves(database, churned)[0] == "repeat"


def test_orders_that_are_no_purchase_move_nobody(database: Database) -> None:
    visitor = new_customer(database)
    order(database, visitor, "e-1", status="cancelled")
    pending = new_customer(database, pending=True)
    order(database, pending, "e-2")
    assert stage_and_moves(database, visitor) == ("visitor", [])
    assert stage_and_moves(database, pending) == ("visitor", [])
    order(database, visitor, "e-3", status="delivered")
    assert stage_and_moves(database, visitor) == ("customer", [("visitor", "customer")])


def test_a_buyer_is_never_moved_back_to_lead(database: Database) -> None:
    buyer = new_customer(database)
    order(database, buyer, "f-1")
    for stage in ("customer", "at_risk", "lapsed", "churned"):
        set_stage(database, buyer, stage)
        with database.transaction() as session:
            leads.capture_lead(
                session,
                customer_id=buyer,
                name="Ada",
                email="ada@example.com",
                company="Acme",
                interest="more desks",
            )
        assert stage_and_moves(database, buyer)[0] == stage


def test_an_order_for_nobody_is_refused(database: Database) -> None:
    with pytest.raises(NotFound):
        order(database, 999_999, "g-1")
