"""The staff API: tokens, customer lookup, the cross-channel timeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from channels.messages import Channel, InboundMessage
from channels.web.identity import identity_hash
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import services
from tests.support.customers import seed


@pytest.fixture
def client(settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, encoder=encoder)) as client:
        yield client


@pytest.fixture
def staff_headers(client: TestClient) -> dict[str, str]:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        _, token = create_staff(session, name="Sam Agent", email="sam@acme.test", role="agent")
    return {"Authorization": f"Bearer {token}"}


def widget_chat(client: TestClient, text: str) -> dict[str, str]:
    """Ada, signed in on the host site: her widget identity is verified."""
    secret = client.app.state.services.settings.identity_secret()  # type: ignore[attr-defined]
    token = client.post(
        "/api/v1/webchat/sessions",
        json={
            "name": "Ada Lovelace",
            "identifier": "ada@example.com",
            "identifier_hash": identity_hash(secret, "ada@example.com"),
        },
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/webchat/messages", headers=headers, json={"client_message_id": "1", "text": text}
    )
    return headers


def test_timeline_shows_web_and_other_channels_oldest_first(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    widget_chat(client, "hello")
    engine = client.app.state.services.engine  # type: ignore[attr-defined]
    client.portal.call(
        engine.receive,
        InboundMessage(  # type: ignore[union-attr]
            channel=Channel.TERMINAL,
            address="ada-terminal",
            provider_message_id="t1",
            text="thanks",
            profile=__import__("channels").ContactProfile(email="ada@example.com", verified=True),
        ),
    )

    found = client.get(
        "/api/v1/customers", params={"email": "ada@example.com"}, headers=staff_headers
    ).json()["customers"]
    assert len(found) == 1
    customer = found[0]
    assert customer["name"] == "Ada Lovelace"
    assert {(i["channel"], i["verified"]) for i in customer["identities"]} == {
        ("web", True),
        ("terminal", True),
    }

    one = client.get(f"/api/v1/customers/{customer['id']}", headers=staff_headers).json()
    assert one["email"] == "ada@example.com"
    timeline = client.get(
        f"/api/v1/customers/{customer['id']}/interactions", headers=staff_headers
    ).json()["interactions"]
    assert [(i["channel"], i["author"], i["text"]) for i in timeline] == [
        ("web", "customer", "hello"),
        ("web", "bot", "Hi Ada! How can I help you today?"),
        ("terminal", "customer", "thanks"),
        ("terminal", "bot", "You're welcome! Anything else I can do?"),
    ]
    assert timeline[1]["intent"] == "greet"
    paged = client.get(
        f"/api/v1/customers/{customer['id']}/interactions",
        params={"after_id": timeline[1]["id"], "limit": 1},
        headers=staff_headers,
    ).json()["interactions"]
    assert [i["text"] for i in paged] == ["thanks"]


def test_tokens_401_without_or_wrong_and_403_for_a_customer_token(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    widget = widget_chat(client, "hello")
    path = "/api/v1/customers?email=ada@example.com"
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer sbs_wrong"}).status_code == 401
    refused = client.get(path, headers=widget)
    assert refused.status_code == 403 and "customer" in refused.json()["error"]
    assert client.get(path, headers=staff_headers).status_code == 200


def test_unknown_customer_is_404_and_search_needs_a_key(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/customers/999", headers=staff_headers).status_code == 404
    assert (
        client.get("/api/v1/customers/999/interactions", headers=staff_headers).status_code == 404
    )
    assert client.get("/api/v1/customers", headers=staff_headers).status_code == 422
    assert client.get("/api/v1/customers/abc", headers=staff_headers).status_code == 422


def test_customers_are_found_by_name_in_any_case(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    # A support lead types "grace hopper" as often as an address: exact names first,
    # else names starting with it, else names containing it; wildcards are letters.
    seed(services(client).database)

    def named(name: str) -> list[str]:
        found = client.get("/api/v1/customers", params={"name": name}, headers=staff_headers)
        assert found.status_code == 200, found.text
        return [customer["name"] for customer in found.json()["customers"]]

    assert named("grace hopper") == ["Grace Hopper"]
    assert named("ADA") == ["Ada Lovelace"]
    assert named("lovelace") == ["Ada Lovelace"]
    assert named("%") == []
    assert named("Alan Turing") == []
    blank = client.get("/api/v1/customers", params={"name": "  "}, headers=staff_headers)
    assert blank.status_code == 422 and "name" in blank.json()["error"]


def test_an_anonymous_visitor_is_found_by_their_web_chat_session(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    started = client.post("/api/v1/webchat/sessions", json={}).json()
    client.post(
        "/api/v1/webchat/messages",
        headers={"Authorization": f"Bearer {started['token']}"},
        json={"client_message_id": "1", "text": "do you ship to canada"},
    )

    def in_session(session_id: str) -> list[int]:
        found = client.get(
            "/api/v1/customers", params={"web_session": session_id}, headers=staff_headers
        )
        assert found.status_code == 200, found.text
        return [customer["id"] for customer in found.json()["customers"]]

    (customer_id,) = in_session(started["session_id"])
    timeline = client.get(f"/api/v1/customers/{customer_id}/interactions", headers=staff_headers)
    assert "do you ship to canada" in [i["text"] for i in timeline.json()["interactions"]]
    assert in_session("no-such-session") == []


def test_healthz_and_openapi_docs(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["unanswered_messages"] == 0
    assert health["detail"] == {"dead_deliveries": 0}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/customers/{customer_id}/interactions" in paths
    assert "/api/v1/webchat/messages" in paths


def test_out_of_range_ids_and_nul_queries_are_4xx_not_500(
    client: TestClient, staff_headers: dict[str, str]
) -> None:
    huge = 10**23
    for path in (
        f"/api/v1/customers/{huge}",
        f"/api/v1/customers/{huge}/interactions",
        f"/api/v1/customers/1/interactions?after_id={huge}",
    ):
        assert client.get(path, headers=staff_headers).status_code == 422, path
    assert client.get("/api/v1/customers/0", headers=staff_headers).status_code == 422
    nul = client.get("/api/v1/customers", params={"email": "a\x00b"}, headers=staff_headers)
    assert nul.status_code == 422 and "NUL" in nul.json()["error"]
