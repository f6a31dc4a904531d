"""The customers of the support tests: Acme Corp with Ada (who has order 4417) and
Grace (order 5120) seeded into an app's store, the app's services, and a web chat
Visitor (one widget session, optionally signed in with the site's identity hash)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from channels.web.identity import identity_hash
from crm_store import Database
from crm_store.models import Account, Customer, Order

ADA = "ada@example.com"
GRACE = "grace@example.com"


def seed(database: Database) -> None:
    now = datetime.now(UTC)
    with database.transaction() as session:
        acme = Account(name="Acme Corp", domain="acme.example", attributes={})
        session.add(acme)
        session.flush()
        ada = Customer(name="Ada Lovelace", email=ADA, account_id=acme.id, attributes={})
        grace = Customer(name="Grace Hopper", email=GRACE, attributes={})
        session.add_all([ada, grace])
        session.flush()
        session.add_all(
            [
                Order(
                    number="4417",
                    customer_id=ada.id,
                    status="shipped",
                    total_cents=12900,
                    carrier="UPS",
                    tracking_url="https://track.example/1Z4417",
                    items=[],
                    placed_at=now - timedelta(days=3),
                ),
                Order(number="5120", customer_id=grace.id, status="delayed", items=[]),
            ]
        )


def services(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


class Visitor:
    """One widget session, sending messages in order."""

    def __init__(self, client: TestClient, *, signed_in_as: str | None = None) -> None:
        body: dict[str, Any] = {}
        if signed_in_as is not None:
            secret = services(client).settings.identity_secret()
            body = {
                "identifier": signed_in_as,
                "identifier_hash": identity_hash(secret, signed_in_as),
            }
        response = client.post("/api/v1/webchat/sessions", json=body)
        assert response.status_code == 200, response.text
        self.client = client
        self.token = response.json()["token"]
        self.sent = 0
        self.conversation_id: int | None = None

    def say(self, text: str) -> list[str]:
        self.sent += 1
        response = self.client.post(
            "/api/v1/webchat/messages",
            headers={"Authorization": f"Bearer {self.token}"},
            json={"client_message_id": str(self.sent), "text": text},
        )
        assert response.status_code == 200, response.text
        self.conversation_id = response.json()["conversation_id"]
        return [reply["text"] for reply in response.json()["replies"]]

    def transcript(self) -> list[tuple[str, str]]:
        response = self.client.get(
            "/api/v1/webchat/messages",
            headers={"Authorization": f"Bearer {self.token}"},
            params={"after": 0},
        )
        assert response.status_code == 200, response.text
        return [(m["author"], m["text"]) for m in response.json()["messages"]]
