"""The web chat HTTP API and WebSocket, through the real app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from crm_store.models import Interaction
from knowledge.embeddings import SentenceEncoder


@pytest.fixture
def client(sqlite_settings: Settings, encoder: SentenceEncoder) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings, encoder=encoder)) as client:
        yield client


def start(client: TestClient, **profile: str) -> dict[str, str]:
    response = client.post("/api/v1/webchat/sessions", json=profile)
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['token']}"}


def send(client: TestClient, headers: dict[str, str], text: str, cid: str) -> Any:
    return client.post(
        "/api/v1/webchat/messages", headers=headers, json={"client_message_id": cid, "text": text}
    )


def stored_interactions(client: TestClient) -> int:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Interaction)) or 0


def test_send_returns_the_bots_reply(client: TestClient) -> None:
    headers = start(client, name="Ada Lovelace", email="ada@example.com")
    body = send(client, headers, "hello", "c1").json()
    assert body["message"]["seq"] == 1 and body["message"]["client_message_id"] == "c1"
    assert [r["text"] for r in body["replies"]] == ["Hi Ada! How can I help you today?"]
    assert body["replies"][0]["seq"] == 2 and body["duplicate"] is False


def test_repeating_a_client_message_id_stores_nothing_new(client: TestClient) -> None:
    headers = start(client)
    first = send(client, headers, "hello", "c1").json()
    again = send(client, headers, "hello", "c1").json()
    assert again["duplicate"] is True
    assert again["replies"] == first["replies"] and again["message"] == first["message"]
    assert stored_interactions(client) == 2


def test_messages_after_a_seq(client: TestClient) -> None:
    headers = start(client)
    send(client, headers, "hello", "c1")
    send(client, headers, "thanks", "c2")
    everything = client.get("/api/v1/webchat/messages?after=0", headers=headers).json()
    assert [m["seq"] for m in everything["messages"]] == [1, 2, 3, 4]
    later = client.get("/api/v1/webchat/messages?after=2", headers=headers).json()
    assert [m["text"] for m in later["messages"]] == [
        "thanks",
        "You're welcome! Anything else I can do?",
    ]


def test_a_visitor_reads_only_its_own_conversation(client: TestClient) -> None:
    ada = start(client, name="Ada")
    bob = start(client, name="Bob")
    send(client, ada, "hello from ada", "1")
    send(client, bob, "hello from bob", "1")  # same client id, other session
    seen = client.get("/api/v1/webchat/messages", headers=bob).json()["messages"]
    assert [m["text"] for m in seen if m["direction"] == "in"] == ["hello from bob"]


def test_text_over_4000_characters_is_413_and_not_stored(client: TestClient) -> None:
    headers = start(client)
    response = send(client, headers, "x" * 4001, "c1")
    assert response.status_code == 413
    assert response.json()["error"] == "text is longer than 4000 characters"
    assert stored_interactions(client) == 0
    assert send(client, headers, "x" * 4000, "c2").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "hi"}, "body.client_message_id"),
        ({"client_message_id": "1"}, "body.text"),
        ({"client_message_id": "1", "text": ""}, "body.text"),
        ({"client_message_id": "1", "text": " \n\t "}, "body.text"),
        ({"client_message_id": "1", "text": 42}, "body.text"),
    ],
)
def test_missing_or_bad_fields_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/webchat/messages", headers=start(client), json=body)
    assert response.status_code == 422
    assert field in response.json()["error"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/webchat/messages",
        content=b"{not json",
        headers={**start(client), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["error"]


def test_oversized_body_is_413_before_parsing(client: TestClient) -> None:
    response = client.post(
        "/api/v1/webchat/messages",
        content=b"x" * 70_000,
        headers={**start(client), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_invalid_missing_or_expired_token_is_401(
    client: TestClient, sqlite_settings: Settings
) -> None:
    payload = {"client_message_id": "1", "text": "hi"}
    assert client.post("/api/v1/webchat/messages", json=payload).status_code == 401
    forged = {"Authorization": "Bearer eyJzaWQiOiJ3c18xIn0.forged.signature"}
    assert client.post("/api/v1/webchat/messages", json=payload, headers=forged).status_code == 401
    signer = client.app.state.services.signer  # type: ignore[attr-defined]
    _, token = signer.start()
    signer._max_age = -1  # every token is now past its age
    response = client.post(
        "/api/v1/webchat/messages", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401 and "expired" in response.json()["error"]


def test_session_with_bad_email_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/webchat/sessions", json={"email": "not-an-email"})
    assert response.status_code == 422 and "body.email" in response.json()["error"]


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and response.json()["error"] == "Not Found"


def test_demo_page_and_widget_script_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/widget.js" in page.text
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "application/javascript; charset=utf-8"


def _frames_until(ws: Any, kind: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = ws.receive_json()
        frames.append(frame)
        if frame["type"] == kind:
            return frames


def test_websocket_acks_pushes_replies_and_replays_after_reconnect(client: TestClient) -> None:
    token = start(client, name="Ada")["Authorization"].removeprefix("Bearer ")
    with (
        client.websocket_connect("/api/v1/webchat/ws") as ws,
        client.websocket_connect("/api/v1/webchat/ws") as other_tab,
    ):
        for socket in (ws, other_tab):
            socket.send_json({"type": "hello", "token": token, "after": 0})
            assert socket.receive_json()["type"] == "ready"
        ws.send_json({"type": "message", "client_message_id": "c1", "text": "hello"})
        frames = [ws.receive_json() for _ in range(3)]  # ack, own echo, bot reply
        tab_frames = [other_tab.receive_json() for _ in range(2)]
    acks = [f for f in frames if f["type"] == "ack"]
    pushed = sorted((f["seq"], f["author"]) for f in frames if f["type"] == "message")
    assert acks == [
        {
            "type": "ack",
            "client_message_id": "c1",
            "seq": 1,
            "conversation_id": acks[0]["conversation_id"],
        }
    ]
    assert pushed == [(1, "customer"), (2, "bot")]
    assert sorted((f["seq"], f["author"]) for f in tab_frames) == pushed

    # Reconnect having seen seq 1 only: the reply is replayed; a resend is acked again.
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 1})
        ready, replayed = ws.receive_json(), ws.receive_json()
        assert ready["type"] == "ready" and replayed["seq"] == 2
        ws.send_json({"type": "message", "client_message_id": "c1", "text": "hello"})
        assert ws.receive_json()["seq"] == 1
    assert stored_interactions(client) == 2


def test_websocket_refuses_a_bad_token_and_reports_bad_frames(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": "forged", "after": 0})
        error = ws.receive_json()
        assert error["type"] == "error" and error["reason"] == "session token invalid"
    token = start(client)["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token})
        ws.receive_json()
        ws.send_json({"type": "message", "client_message_id": "c1", "text": "y" * 4001})
        too_long = ws.receive_json()
        ws.send_json({"type": "message", "text": "no id"})
        missing = ws.receive_json()
        ws.send_text("not json")
        garbage = ws.receive_json()
        ws.send_bytes(b"\x00\x01binary")
        binary = ws.receive_json()
        ws.send_json({"type": "message", "client_message_id": "c2", "text": "   "})
        blank = ws.receive_json()
        ws.send_json({"type": "ping"})
        pong = ws.receive_json()
    assert (too_long["status"], too_long["client_message_id"]) == (413, "c1")
    assert missing["status"] == 422 and "client_message_id" in missing["reason"]
    assert garbage["status"] == 400 and pong == {"type": "pong"}
    assert binary["status"] == 400 and blank["status"] == 422
    assert stored_interactions(client) == 0


def test_reply_is_marked_sent_after_delivery(client: TestClient) -> None:
    headers = start(client)
    send(client, headers, "hello", "c1")
    database = client.app.state.services.database  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        with database.transaction() as session:
            status = session.scalars(
                select(Interaction.delivery_status).where(Interaction.direction == "out")
            ).one()
        if status == "sent":
            break
        time.sleep(0.05)
    assert status == "sent"


@pytest.mark.parametrize(
    "body",
    [
        b'{"client_message_id": "c1", "text": "hi\\u0000there"}',
        b'{"client_message_id": "c\\u0000", "text": "hi"}',
        b'{"client_message_id": "c1", "text": "broken \\ud800 surrogate"}',
    ],
)
def test_unstorable_text_is_422_on_both_databases(
    settings: Settings, encoder: SentenceEncoder, body: bytes
) -> None:
    """PostgreSQL refuses NUL, and nothing stores a lone surrogate: refuse at the edge."""
    with TestClient(create_app(settings, encoder=encoder)) as client:
        headers = {**start(client), "Content-Type": "application/json"}
        response = client.post("/api/v1/webchat/messages", content=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"].startswith("body.")  # names the field
        assert stored_interactions(client) == 0
        named = client.post(
            "/api/v1/webchat/sessions",
            content=b'{"name": "A\\u0000"}',
            headers={"Content-Type": "application/json"},
        )
        assert named.status_code == 422


def test_a_customers_message_is_matched_before_the_staff_routes(client: TestClient) -> None:
    # The app tries its routes in order; the widget's, the most frequent, come first.
    from starlette.routing import Match

    def first_match(method: str, path: str) -> int:
        scope = {"type": "http", "method": method, "path": path, "root_path": ""}
        routes = client.app.router.routes  # type: ignore[attr-defined]
        return next(i for i, r in enumerate(routes) if r.matches(dict(scope))[0] == Match.FULL)

    message = first_match("POST", "/api/v1/webchat/messages")
    assert message < first_match("GET", "/api/v1/handoffs")
    assert message < first_match("GET", "/healthz")
