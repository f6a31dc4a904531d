"""The tickets API for staff: open, list, read, change; every change is an event; bad
values get 422 naming the field and change nothing; unknown numbers 404."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings
from crm_store.models import Customer
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration


@dataclass(frozen=True)
class Desk:
    client: TestClient
    agent: dict[str, str]
    agent_id: int
    sales_id: int
    ada: int
    grace: int

    def open(self, **body: Any) -> dict[str, Any]:
        answer = self.client.post("/api/v1/tickets", json=body, headers=self.agent)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def patch(self, number: str, **body: Any) -> Any:
        return self.client.patch(f"/api/v1/tickets/{number}", json=body, headers=self.agent)


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    settings = Settings(
        data_dir=tmp_path / "var", database=DatabaseSettings(url=database_url, auto_migrate=True)
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        database = client.app.state.services.database  # type: ignore[attr-defined]
        with database.transaction() as session:
            agent, token = create_staff(session, name="Sam", email="sam@acme.test", role="agent")
            sales, _ = create_staff(session, name="Marco", email="marco@acme.test", role="sales")
            ada = Customer(name="Ada Lovelace", attributes={})
            grace = Customer(name="Grace Hopper", attributes={})
            session.add_all([ada, grace])
            session.flush()
        yield Desk(
            client, {"Authorization": f"Bearer {token}"}, agent.id, sales.id, ada.id, grace.id
        )


def test_staff_open_a_ticket_recorded_as_theirs(desk: Desk) -> None:
    ticket = desk.open(
        customer_id=desk.ada,
        subject="  Refund for order 4417 ",
        description="Asked by phone",
        priority="high",
        assigned_staff_id=desk.sales_id,
    )
    assert ticket["number"] == "T-1001"
    assert (ticket["subject"], ticket["priority"], ticket["status"]) == (
        "Refund for order 4417",
        "high",
        "open",
    )
    assert ticket["assigned_staff_id"] == desk.sales_id
    assert [(e["kind"], e["author"], e["staff_id"], e["data"]) for e in ticket["events"]] == [
        ("created", "agent", desk.agent_id, {}),
        ("assigned", "agent", desk.agent_id, {"from": None, "to": desk.sales_id}),
    ]


def test_each_change_is_an_event_with_from_and_to(desk: Desk) -> None:
    number = desk.open(customer_id=desk.ada, subject="Wrong VAT number")["number"]

    changed = desk.patch(number.lower(), status="pending", priority="urgent")
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["priority"]) == ("pending", "urgent")
    assert desk.patch(number, assigned_staff_id=desk.agent_id).status_code == 200
    assert desk.patch(number, status="pending").status_code == 200  # no change, no event
    unassigned = desk.patch(number, assigned_staff_id=None, status="solved").json()
    assert unassigned["assigned_staff_id"] is None

    read = desk.client.get(f"/api/v1/tickets/{number}", headers=desk.agent).json()
    assert read == unassigned
    assert [(e["kind"], e["data"]) for e in read["events"]] == [
        ("created", {}),
        ("status_changed", {"from": "open", "to": "pending"}),
        ("priority_changed", {"from": "normal", "to": "urgent"}),
        ("assigned", {"from": None, "to": desk.agent_id}),
        ("status_changed", {"from": "pending", "to": "solved"}),
        ("assigned", {"from": desk.agent_id, "to": None}),
    ]
    assert {(e["author"], e["staff_id"]) for e in read["events"]} == {("agent", desk.agent_id)}


def test_list_by_customer_and_status_newest_first(desk: Desk) -> None:
    first = desk.open(customer_id=desk.ada, subject="one")["number"]
    second = desk.open(customer_id=desk.ada, subject="two")["number"]
    third = desk.open(customer_id=desk.grace, subject="three")["number"]
    desk.patch(first, status="closed")

    def numbers(**params: Any) -> list[str]:
        answer = desk.client.get("/api/v1/tickets", params=params, headers=desk.agent)
        assert answer.status_code == 200
        return [t["number"] for t in answer.json()["tickets"]]

    assert numbers() == [third, second, first]
    assert numbers(customer_id=desk.ada) == [second, first]
    assert numbers(customer_id=desk.ada, status="open") == [second]
    assert numbers(status="closed") == [first]
    page = desk.client.get("/api/v1/tickets", params={"limit": 2}, headers=desk.agent).json()
    rest = numbers(before_id=page["tickets"][-1]["id"])
    assert [t["number"] for t in page["tickets"]] + rest == [third, second, first]


def test_bad_values_are_422_naming_the_field_and_change_nothing(desk: Desk) -> None:
    number = desk.open(customer_id=desk.ada, subject="Keep me")["number"]
    before = desk.client.get(f"/api/v1/tickets/{number}", headers=desk.agent).json()
    for body, field in (
        ({"status": "done"}, "body.status"),
        ({"priority": "asap"}, "body.priority"),
        ({"status": None}, "body.status"),
        ({"status": "solved", "assigned_staff_id": 987654}, "body.assigned_staff_id"),
        ({"assigned_staff_id": "sam"}, "body.assigned_staff_id"),
        ({"colour": "red"}, "body.colour"),
    ):
        refused = desk.patch(number, **body)
        assert refused.status_code == 422, body
        assert refused.json()["error"].startswith(field), refused.json()
    empty = desk.patch(number)
    assert empty.status_code == 422
    assert empty.json()["error"] == "give status, priority or assigned_staff_id to change"
    after = desk.client.get(f"/api/v1/tickets/{number}", headers=desk.agent).json()
    assert after == before

    for body, field in (
        ({"customer_id": 987654, "subject": "x"}, "body.customer_id"),
        ({"customer_id": desk.ada}, "body.subject"),
        ({"customer_id": desk.ada, "subject": "   "}, "body.subject"),
        ({"customer_id": desk.ada, "subject": "x", "priority": "asap"}, "body.priority"),
    ):
        refused = desk.client.post("/api/v1/tickets", json=body, headers=desk.agent)
        assert refused.status_code == 422, body
        assert refused.json()["error"].startswith(field), refused.json()
    bad_status = desk.client.get("/api/v1/tickets?status=done", headers=desk.agent)
    assert bad_status.status_code == 422
    listed = desk.client.get("/api/v1/tickets", headers=desk.agent).json()["tickets"]
    assert [t["number"] for t in listed] == [number]


def test_unknown_numbers_and_missing_tokens(desk: Desk) -> None:
    assert desk.patch("T-9999", status="solved").status_code == 404
    missing = desk.client.get("/api/v1/tickets/T-9999", headers=desk.agent)
    assert (missing.status_code, missing.json()["error"]) == (404, "no ticket T-9999")
    assert desk.client.get("/api/v1/tickets").status_code == 401
    widget = desk.client.post("/api/v1/webchat/sessions", json={"name": "Eve"}).json()["token"]
    as_widget = desk.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {widget}"})
    assert as_widget.status_code == 403
