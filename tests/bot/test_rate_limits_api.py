"""Rate limits through the real app: 429 with Retry-After and a JSON reason, nothing of a
refused request stored, and time that passes only when the test moves the clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import DatabaseSettings, Rate, RateLimitSettings, Settings
from crm_store.models import Interaction
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue
from tests.support.manual_clock import ManualClock

SESSIONS = "/api/v1/webchat/sessions"
MESSAGES = "/api/v1/webchat/messages"
PROXY = "10.0.0.5"


def limited_settings(tmp_path: Path) -> Settings:
    """Three of each at once; refills so slow that only the test's clock matters."""
    return Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'limits.db'}", auto_migrate=True),
        rate_limits=RateLimitSettings(
            trusted_proxies=[PROXY],
            webchat_sessions=Rate(per_minute=6, burst=3),
            webchat_messages=Rate(per_minute=6, burst=3),
            staff_api=Rate(per_minute=6, burst=3),
        ),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(tmp_path: Path, clock: ManualClock) -> Iterator[Any]:
    app = create_app(limited_settings(tmp_path), dialogue=ScriptedDialogue(), clock=clock)
    yield app
    app.state.services.close()


def client_from(app: Any, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def stored(app: Any) -> int:
    with app.state.services.database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Interaction)) or 0


def assert_limited(response: Any, what: str) -> None:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert seconds >= 1
    body = response.json()
    assert body["error"] == f"too many {what}: try again in {seconds} s"


def token_from(client: TestClient) -> dict[str, str]:
    response = client.post(SESSIONS, json={})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_new_sessions_are_limited_per_client_address(app: Any, clock: ManualClock) -> None:
    office = client_from(app, "203.0.113.7")
    for _ in range(3):
        token_from(office)
    assert_limited(office.post(SESSIONS, json={}), "new chat sessions from this address")
    # A header the client writes itself changes nothing: the peer is not a trusted proxy.
    spoofed = office.post(SESSIONS, json={}, headers={"X-Forwarded-For": "198.51.100.9"})
    assert spoofed.status_code == 429
    assert client_from(app, "203.0.113.8").post(SESSIONS, json={}).status_code == 200
    clock.advance(10)  # one more token (6 a minute)
    assert office.post(SESSIONS, json={}).status_code == 200
    assert office.post(SESSIONS, json={}).status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(app: Any) -> None:
    proxy = client_from(app, PROXY)
    for client_address in ("198.51.100.1", "198.51.100.2"):
        forwarded = {"X-Forwarded-For": client_address}
        statuses = [proxy.post(SESSIONS, json={}, headers=forwarded).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_messages_over_http_are_limited_per_session_and_not_stored(
    app: Any, clock: ManualClock
) -> None:
    client = client_from(app, "203.0.113.7")
    headers = token_from(client)

    def send(cid: str) -> Any:
        return client.post(MESSAGES, headers=headers, json={"client_message_id": cid, "text": "hi"})

    assert [send(f"m{n}").status_code for n in range(3)] == [200, 200, 200]
    before = stored(app)
    assert_limited(send("m3"), "messages in this chat session")
    assert stored(app) == before  # the refused message is not in the history
    assert send("m4").status_code == 429
    assert (
        client.post(
            MESSAGES, headers=token_from(client), json={"client_message_id": "x", "text": "hi"}
        ).status_code
        == 200
    )  # another session has its own count
    clock.advance(10)
    assert send("m3").status_code == 200  # sent again after the wait: taken


def test_a_websocket_message_over_the_limit_gets_an_error_frame_and_is_not_stored(
    app: Any, clock: ManualClock
) -> None:
    client = client_from(app, "203.0.113.7")
    token = token_from(client)["Authorization"].removeprefix("Bearer ")
    with client, client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 0})
        assert ws.receive_json()["type"] == "ready"
        acks = []
        for n in range(3):
            ws.send_json({"type": "message", "client_message_id": f"w{n}", "text": "hello"})
            acks.append(next_frame(ws, "ack")["client_message_id"])
        assert acks == ["w0", "w1", "w2"]
        before = stored(app)
        ws.send_json({"type": "message", "client_message_id": "w3", "text": "hello"})
        error = next_frame(ws, "error")
        assert error["status"] == 429 and error["client_message_id"] == "w3"
        assert error["retry_after"] == 10 and "not stored" in error["reason"]
        assert stored(app) == before
        ws.send_json({"type": "ping"})
        assert next_frame(ws, "pong") == {"type": "pong"}  # the socket carries on
        clock.advance(10)
        ws.send_json({"type": "message", "client_message_id": "w3", "text": "hello"})
        assert next_frame(ws, "ack")["client_message_id"] == "w3"


def next_frame(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of `kind`, past the pushes of the conversation's own messages."""
    while True:
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
        assert frame["type"] == "message", frame


def test_a_customer_at_a_human_pace_is_never_limited(app: Any, clock: ManualClock) -> None:
    """One message every 10 s for a quarter of an hour, on these tight test limits."""
    client = client_from(app, "203.0.113.7")
    headers = token_from(client)
    statuses = set()
    for n in range(90):
        clock.advance(10)
        body = {"client_message_id": f"h{n}", "text": "and another thing"}
        statuses.add(client.post(MESSAGES, headers=headers, json=body).status_code)
    assert statuses == {200}


def test_the_staff_api_is_limited_per_token(app: Any, clock: ManualClock) -> None:
    with app.state.services.database.transaction() as session:
        _, sam = create_staff(session, name="Sam Agent", email="sam@acme.test", role="agent")
        _, kim = create_staff(session, name="Kim Agent", email="kim@acme.test", role="agent")
    client = client_from(app, "203.0.113.7")

    def lookup(token: str) -> Any:
        return client.get(
            "/api/v1/customers?email=ada@example.com", headers={"Authorization": f"Bearer {token}"}
        )

    assert [lookup(sam).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(lookup(sam), "staff API requests with this token")
    assert lookup(kim).status_code == 200
    clock.advance(10)
    assert lookup(sam).status_code == 200


def test_limits_can_be_switched_off(tmp_path: Path, clock: ManualClock) -> None:
    settings = limited_settings(tmp_path)
    settings.rate_limits.enabled = False
    app = create_app(settings, dialogue=ScriptedDialogue(), clock=clock)
    client = client_from(app, "203.0.113.7")
    assert {client.post(SESSIONS, json={}).status_code for _ in range(10)} == {200}
    app.state.services.close()
