"""Orders from the shop's backend: PUT /api/v1/orders/{number} records an order once
for the customer with those contact details, takes later states, and logs `order.placed`,
`order.delivered` and `customer.created` once however often the shop retries. The shop's
system account can do nothing else; bad bodies get 422 with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.cli.main import main as cli_main
from bot.settings import DatabaseSettings, Settings
from crm_store import Database
from crm_store.models import Customer, LoggedEvent, Order
from crm_store.models.staff import STAFF_ROLES
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@dataclass(frozen=True)
class Shop:
    client: TestClient
    database: Database
    shop: dict[str, str]
    agent: dict[str, str]
    ada: int

    def put(self, number: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
        return self.client.put(f"/api/v1/orders/{number}", json=body, headers=headers or self.shop)

    def events(self, event_type: str) -> int:
        with self.database.transaction() as session:
            query = select(func.count()).where(LoggedEvent.type == event_type)
            return int(session.scalar(query) or 0)


@pytest.fixture
def shop(tmp_path: Path, database_url: str) -> Iterator[Shop]:
    settings = Settings(
        data_dir=tmp_path / "var", database=DatabaseSettings(url=database_url, auto_migrate=True)
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        database = client.app.state.services.database  # type: ignore[attr-defined]
        with database.transaction() as session:
            _, shop_token = create_staff(session, name="Shop", email="shop@acme.test", role="shop")
            _, agent_token = create_staff(session, name="Sam", email="sam@acme.test", role="agent")
            ada = Customer(name="Ada Lovelace", email="ada@example.com", attributes={})
            session.add(ada)
            session.flush()
        yield Shop(
            client,
            database,
            {"Authorization": f"Bearer {shop_token}"},
            {"Authorization": f"Bearer {agent_token}"},
            ada.id,
        )


ORDER = {"email": "Ada@Example.com", "total_cents": 4250, "items": [{"name": "Rain jacket"}]}


def test_a_new_order_joins_the_customer_with_that_email_and_a_retry_changes_nothing(
    shop: Shop,
) -> None:
    first = shop.put("a-1001", **ORDER)
    assert first.status_code == 201, first.text
    assert first.json()["customer_id"] == shop.ada
    assert first.json()["number"] == "A-1001"
    again = shop.put("A-1001", **ORDER)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    with shop.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert shop.events("order.placed") == 1
    assert shop.events("customer.created") == 0


def test_a_stranger_becomes_a_customer_once(shop: Shop) -> None:
    body = {"phone": "+14155550123", "name": "Grace Hopper", "total_cents": 900}
    assert shop.put("B-1", **body).status_code == 201
    assert shop.put("B-2", **body).status_code == 201
    with shop.database.transaction() as session:
        grace = session.scalars(select(Customer).where(Customer.phone == "+14155550123")).all()
        assert [(c.name, c.email) for c in grace] == [("Grace Hopper", None)]
        owners = set(session.scalars(select(Order.customer_id)))
    assert owners == {grace[0].id}
    assert shop.events("customer.created") == 1
    assert shop.events("order.placed") == 2


def test_later_states_are_taken_and_delivery_is_logged_once(shop: Shop) -> None:
    assert shop.put("C-7", **ORDER).status_code == 201
    shipped = shop.put(
        "C-7", **ORDER, status="shipped", carrier="UPS", tracking_url="https://ups.test/1Z9"
    )
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["tracking_url"] == "https://ups.test/1Z9"
    for _ in range(2):
        assert shop.put("C-7", **ORDER, status="delivered").json()["status"] == "delivered"
    assert shop.events("order.delivered") == 1
    # A status update that leaves out the items and tracking keeps them.
    returned = shop.put("C-7", email="ada@example.com", total_cents=4250, status="returned")
    assert returned.json()["items"] == [{"name": "Rain jacket", "quantity": 1}]
    assert returned.json()["tracking_url"] == "https://ups.test/1Z9"


def test_an_order_number_of_another_customer_is_refused_and_kept(shop: Shop) -> None:
    assert shop.put("D-3", **ORDER).status_code == 201
    other = shop.put("D-3", email="mallory@example.com", total_cents=1, status="cancelled")
    assert other.status_code == 409
    assert "other details" in other.json()["detail"]
    with shop.database.transaction() as session:
        order = session.scalars(select(Order)).one()
        assert (order.customer_id, order.status, order.total_cents) == (shop.ada, "placed", 4250)


@pytest.mark.parametrize(
    ("number", "body", "reason"),
    [
        ("E-1", {"total_cents": 5}, "email or phone is required"),
        ("E-1", {**ORDER, "status": "lost in space"}, "status"),
        ("E-1", {**ORDER, "total_cents": -1}, "total_cents"),
        ("E-1", {**ORDER, "placed_at": "2026-01-02T03:04:05"}, "placed_at"),
        ("E 1", ORDER, "number"),
    ],
)
def test_a_bad_order_gets_422_with_the_reason(
    shop: Shop, number: str, body: dict[str, Any], reason: str
) -> None:
    answer = shop.put(number, **body)
    assert answer.status_code == 422
    assert reason in answer.text
    with shop.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_shop_account_reaches_orders_only_and_agents_do_not_record_orders(
    shop: Shop,
) -> None:
    read = shop.client.get(f"/api/v1/customers/{shop.ada}", headers=shop.shop)
    assert read.status_code == 403
    assert "only record orders" in read.json()["detail"]
    assert shop.put("F-1", headers=shop.agent, **ORDER).status_code == 403


def test_the_cli_offers_every_staff_role() -> None:
    staff_create = cli_main.commands["staff"].commands["create"]  # type: ignore[attr-defined]
    role = next(p for p in staff_create.params if p.name == "role")
    assert tuple(role.type.choices) == STAFF_ROLES
    assert "shop" in CliRunner().invoke(cli_main, ["staff", "create", "--help"]).output
