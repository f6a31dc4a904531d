"""The templates' spend with its currency: `currency` (the one currency of a customer's
purchases) and `spend_with_currency` ("$25.00", "€25.00", "25.00 CAD"); with purchases
in several currencies neither is given, so `| default(...)` decides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm_store import Database
from crm_store.base import utcnow
from crm_store.models import Order
from engagement.audience_fields import customers_fields
from engagement.templates import money
from tests.support.campaigns import Shopper, shoppers


def _buy(database: Database, customer_id: int, currency: str, cents: int, n: int) -> None:
    with database.transaction() as session:
        session.add(
            Order(
                number=f"C{customer_id}-{n}",
                customer_id=customer_id,
                status="delivered",
                total_cents=cents,
                currency=currency,
                placed_at=utcnow() - timedelta(days=n),
            )
        )


@pytest.mark.parametrize(
    ("cents", "currency", "written"),
    [(122_200, "USD", "$1,222.00"), (8_950, "EUR", "€89.50"), (500, "CAD", "5.00 CAD")],
)
def test_money_is_written_as_a_customer_reads_it(cents: int, currency: str, written: str) -> None:
    assert money(cents, currency) == written


def test_one_currency_is_given_with_the_spend_and_several_give_none(database: Database) -> None:
    euro, mixed = shoppers(
        database,
        [Shopper(name="Eva Euro", email="eva@example.com"), Shopper(name="Max Mixed")],
    )
    _buy(database, euro, "EUR", 122_200, 1)
    _buy(database, mixed, "EUR", 1_000, 2)
    _buy(database, mixed, "GBP", 1_000, 3)

    with database.transaction() as session:
        fields = customers_fields(session, [euro, mixed])
    eva, max_ = fields[euro].context(), fields[mixed].context()
    assert (eva["currency"], eva["spend_with_currency"]) == ("EUR", "€1,222.00")
    assert "currency" not in max_ and "spend_with_currency" not in max_
    assert max_["spend"] == "20.00"  # the plain sum, as before: the template's choice
