"""A customer's order is found by its number as the customer types it: any case, and a
code without its hyphen ("AO7719" for the shop's "AO-7719"); never someone else's."""

from __future__ import annotations

from crm_store import Database
from crm_store.models import Customer
from crm_store.orders import order_of_customer, record_order


def customer_with_orders(database: Database, *numbers: str) -> int:
    with database.transaction() as session:
        customer = Customer(attributes={})
        session.add(customer)
        session.flush()
        for number in numbers:
            record_order(session, customer_id=customer.id, number=number, total_cents=1_000)
        return customer.id


def found(database: Database, customer_id: int, typed: str) -> str | None:
    with database.transaction() as session:
        record = order_of_customer(session, customer_id, typed)
        return record.number if record else None


def test_a_code_typed_without_its_hyphen_finds_the_order(database: Database) -> None:
    ada = customer_with_orders(database, "AO-7719")

    assert found(database, ada, "AO7719") == "AO-7719"
    assert found(database, ada, "ao-7719") == "AO-7719"
    assert found(database, ada, "AO-7718") is None


def test_the_number_exactly_as_typed_comes_first(database: Database) -> None:
    grace = customer_with_orders(database, "AO-7719", "AO7719")

    assert found(database, grace, "AO7719") == "AO7719"
    assert found(database, grace, "AO-7719") == "AO-7719"


def test_another_customers_order_is_not_found(database: Database) -> None:
    ada = customer_with_orders(database, "AO-7719")
    alan = customer_with_orders(database)

    assert found(database, alan, "AO7719") is None
    assert found(database, ada, "AO7719") == "AO-7719"
