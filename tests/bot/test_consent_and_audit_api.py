"""The staff API's consent routes and the audit log they and the customer routes write:
who read or changed which customer, through which route, with ids and never content."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from crm_store import consents
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services
from tests.support.customers import ada_who_texted_stop


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


def _token(client: TestClient, email: str, role: str) -> tuple[int, dict[str, str]]:
    with services(client).database.transaction() as session:
        record, token = create_staff(session, name=email, email=email, role=role)
    return record.id, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def ada(client: TestClient) -> int:
    return ada_who_texted_stop(services(client).database)


def test_staff_record_a_decision_and_read_the_ledger(client: TestClient, ada: int) -> None:
    _, agent = _token(client, "sam@acme.test", "agent")
    granted = client.post(
        f"/api/v1/customers/{ada}/consents",
        headers=agent,
        json={
            "channel": "sms",
            "address": "+14155550101",
            "decision": "granted",
            "purposes": ["service"],
            "wording": "Phone call: may we text you about your orders? yes",
        },
    )
    assert granted.status_code == 200, granted.text
    (service,) = granted.json()["in_force"]
    assert (service["decision"], service["means"]) == ("granted", "staff")
    listing = client.get(f"/api/v1/customers/{ada}/consents", headers=agent).json()
    in_force = {c["purpose"]: c["decision"] for c in listing["in_force"]}
    assert in_force == {"marketing": "withdrawn", "service": "granted", "surveys": "withdrawn"}
    assert [(c["purpose"], c["decision"]) for c in listing["ledger"]] == [
        ("marketing", "withdrawn"),
        ("service", "withdrawn"),
        ("surveys", "withdrawn"),
        ("service", "granted"),
    ]
    with services(client).database.transaction() as session:
        assert consents.opt_out_of(session, "sms", "+14155550101") is None


def test_a_decision_for_an_address_the_customer_does_not_hold_is_refused(
    client: TestClient, ada: int
) -> None:
    _, agent = _token(client, "sam@acme.test", "agent")
    body = {"channel": "email", "address": "x@example.com", "decision": "granted"}
    refused = client.post(
        f"/api/v1/customers/{ada}/consents", headers=agent, json={**body, "purposes": ["service"]}
    )
    assert refused.status_code == 422 and "holds no email address" in refused.json()["error"]
    bad_purpose = client.post(
        f"/api/v1/customers/{ada}/consents", headers=agent, json={**body, "purposes": ["spam"]}
    )
    assert bad_purpose.status_code == 422
    missing = client.post(
        f"/api/v1/customers/{ada + 99}/consents",
        headers=agent,
        json={**body, "purposes": ["service"]},
    )
    assert missing.status_code == 404


def test_reads_and_changes_are_audited_with_ids_not_content(client: TestClient, ada: int) -> None:
    agent_id, agent = _token(client, "sam@acme.test", "agent")
    admin_id, admin = _token(client, "root@acme.test", "admin")
    assert client.get("/api/v1/customers", params={"phone": "+14155550101"}, headers=agent).json()
    client.get(f"/api/v1/customers/{ada}/interactions", headers=agent)
    client.get(f"/api/v1/customers/{ada + 99}", headers=agent)  # 404: reveals nothing
    client.post(f"/api/v1/customers/{ada}/widget-sessions/revoke", headers=admin)

    assert client.get("/api/v1/audit", headers=agent).status_code == 403
    log = client.get("/api/v1/audit", params={"customer_id": ada}, headers=admin).json()
    seen = [
        (e["actor"]["staff_id"], e["action"], e["endpoint"], e["customer_id"])
        for e in log["entries"]
    ]
    assert seen == [
        (admin_id, "change", "POST /api/v1/customers/{customer_id}/widget-sessions/revoke", ada),
        (agent_id, "read", "GET /api/v1/customers/{customer_id}/interactions", ada),
        (agent_id, "read", "GET /api/v1/customers", ada),
    ]
    assert "+1415" not in str(log)  # the number searched for is content: not logged
    mine = client.get("/api/v1/audit", params={"staff_id": agent_id}, headers=admin).json()
    assert len(mine["entries"]) == 2
    older = client.get(
        "/api/v1/audit", params={"before_id": log["entries"][1]["id"]}, headers=admin
    ).json()
    assert [e["id"] for e in older["entries"]] == [log["entries"][2]["id"]]
    sales_id, sales = _token(client, "marta@acme.test", "sales")
    assert client.get(f"/api/v1/customers/{ada}/summary", headers=sales).status_code == 200
    (summary_read,) = client.get(
        "/api/v1/audit", params={"staff_id": sales_id}, headers=admin
    ).json()["entries"]
    assert summary_read["endpoint"] == "GET /api/v1/customers/{customer_id}/summary"


def test_a_head_request_is_audited_as_head(client: TestClient, ada: int) -> None:
    # HEAD is answered as GET (`HeadAsGet`), so the route runs and reads the customer;
    # the log names the method the client sent, not the one the route answered.
    agent_id, agent = _token(client, "sam@acme.test", "agent")
    _, admin = _token(client, "root@acme.test", "admin")
    head = client.head(f"/api/v1/customers/{ada}", headers=agent)
    assert head.status_code == 200 and head.content == b""
    (entry,) = client.get("/api/v1/audit", params={"staff_id": agent_id}, headers=admin).json()[
        "entries"
    ]
    assert (entry["action"], entry["endpoint"]) == ("read", "HEAD /api/v1/customers/{customer_id}")
