"""Webhook subscriptions through the staff API, end to end: an admin subscribes a local
receiver, a ticket change reaches it signed (verified with `standardwebhooks`) by the
app's own worker, the delivery log shows the try, a replay sends the event again, and
private URLs are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings, WebhookSettings
from crm_store import customers
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import eventually, services
from tests.support.ports import free_port
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={"webhooks": WebhookSettings(allowed_hosts=["127.0.0.1"])}
    )
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def _headers(client: TestClient, role: str) -> dict[str, str]:
    with services(client).database.transaction() as session:
        _, token = create_staff(session, name=role, email=f"{role}@acme.test", role=role)
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_subscribes_and_a_ticket_change_arrives_signed(client: TestClient) -> None:
    admin, agent = _headers(client, "admin"), _headers(client, "agent")
    with services(client).database.transaction() as session:
        ada, _ = customers.resolve_identity(session, "sms", "+14155550101", name="Ada")
    receiver = WebhookReceiver(free_port(), secret="")
    body = {"url": receiver.url, "events": ["ticket.updated"], "description": "CRM sync"}
    assert client.post("/api/v1/webhooks", headers=agent, json=body).status_code == 403
    made = client.post("/api/v1/webhooks", headers=admin, json=body)
    assert made.status_code == 201, made.text
    subscription = made.json()
    assert subscription["secret"].startswith("whsec_") and subscription["active"]
    receiver.secret = subscription["secret"]
    listed = client.get("/api/v1/webhooks", headers=admin).json()["subscriptions"]
    assert [s["id"] for s in listed] == [subscription["id"]] and "secret" not in listed[0]

    receiver.start()
    try:
        ticket = client.post(
            "/api/v1/tickets", headers=agent, json={"customer_id": ada.id, "subject": "Refund"}
        ).json()
        client.patch(
            f"/api/v1/tickets/{ticket['number']}", headers=agent, json={"status": "pending"}
        )
        eventually(lambda: receiver.received)
        ((event_id, payload),) = receiver.received
        assert payload["type"] == "ticket.updated" and payload["data"]["status"] == "pending"
        log_url = f"/api/v1/webhooks/{subscription['id']}/deliveries"
        (entry,) = eventually(
            lambda: [
                e
                for e in client.get(log_url, headers=admin).json()["deliveries"]
                if e["status"] == "delivered"
            ]
        )
        assert entry["event_id"] == event_id and entry["tries"][0]["status_code"] == 204
        replayed = client.post(f"/api/v1/webhooks/deliveries/{entry['id']}/replay", headers=admin)
        assert replayed.json() == {"replayed": entry["id"], "was": "delivered"}
        eventually(lambda: len(receiver.received) == 2)
        assert receiver.received[1] == receiver.received[0] and receiver.refused == []
    finally:
        receiver.stop()
    missing = client.post("/api/v1/webhooks/deliveries/999999/replay", headers=admin)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]:80/x"],
)
def test_private_urls_are_refused_at_subscription(client: TestClient, url: str) -> None:
    admin = _headers(client, "admin")
    refused = client.post(
        "/api/v1/webhooks", headers=admin, json={"url": url, "events": ["lead.created"]}
    )
    assert refused.status_code == 422 and "not a public address" in refused.json()["error"]
    assert client.get("/api/v1/webhooks", headers=admin).json()["subscriptions"] == []


def test_a_subscription_is_changed_and_turned_off_and_on(client: TestClient) -> None:
    admin = _headers(client, "admin")
    made = client.post(
        "/api/v1/webhooks",
        headers=admin,
        json={"url": "http://127.0.0.1:9/x", "events": ["lead.created"]},
    ).json()
    one = f"/api/v1/webhooks/{made['id']}"
    off = client.patch(one, headers=admin, json={"active": False, "events": ["handoff.opened"]})
    assert (off.json()["active"], off.json()["events"]) == (False, ["handoff.opened"])
    assert client.patch(one, headers=admin, json={"url": "http://192.168.0.2/"}).status_code == 422
    assert client.patch(one, headers=admin, json={"active": True}).json()["active"] is True
    assert client.get("/api/v1/webhooks/424242", headers=admin).status_code == 404
    bad = client.post(
        "/api/v1/webhooks", headers=admin, json={"url": "https://e.test", "events": ["x.y"]}
    )
    assert bad.status_code == 422
