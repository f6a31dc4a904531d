"""Staff revoke a customer's widget sessions: every token issued before is refused with
a reason on the REST API and the WebSocket, and a new session works. On SQLite and
PostgreSQL, through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings, WebChatSettings
from channels.web.identity import identity_hash
from crm_store import Database
from crm_store.staff import create_staff
from crm_store.widget_sessions import revoke_widget_sessions
from tests.support.fakes import ScriptedDialogue

pytestmark = pytest.mark.migrated_database  # its stores start at the newest migration

ADA = "ada@example.com"
GRACE = "grace@example.com"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        webchat=WebChatSettings(secret_key="s" * 40),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        yield client


def database(client: TestClient) -> Database:
    return client.app.state.services.database  # type: ignore[attr-defined,no-any-return]


def staff_headers(client: TestClient, role: str) -> dict[str, str]:
    with database(client).transaction() as session:
        _, token = create_staff(session, name=role, email=f"{role}@acme.test", role=role)
    return {"Authorization": f"Bearer {token}"}


def signed_in_token(client: TestClient, email: str) -> str:
    secret = client.app.state.services.settings.identity_secret()  # type: ignore[attr-defined]
    response = client.post(
        "/api/v1/webchat/sessions",
        json={"identifier": email, "identifier_hash": identity_hash(secret, email)},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def say(client: TestClient, token: str, text: str, cid: str) -> Any:
    return client.post(
        "/api/v1/webchat/messages",
        headers={"Authorization": f"Bearer {token}"},
        json={"client_message_id": cid, "text": text},
    )


def read(client: TestClient, token: str) -> Any:
    return client.get("/api/v1/webchat/messages", headers={"Authorization": f"Bearer {token}"})


def customer_id(client: TestClient, email: str, headers: dict[str, str]) -> int:
    found = client.get("/api/v1/customers", params={"email": email}, headers=headers)
    return int(found.json()["customers"][0]["id"])


def hello(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "after": 0})
    return dict(ws.receive_json())


def past_the_replay(ws: Any) -> None:
    """Read the replayed messages: a ping is answered only after the replay."""
    ws.send_json({"type": "ping"})
    while ws.receive_json()["type"] != "pong":
        pass


def test_revoking_refuses_old_tokens_everywhere_and_a_new_session_works(
    client: TestClient,
) -> None:
    admin = staff_headers(client, "admin")
    old = signed_in_token(client, ADA)
    assert say(client, old, "hello", "1").status_code == 200
    unused = signed_in_token(client, ADA)  # issued before the revocation, never used
    grace = signed_in_token(client, GRACE)
    assert say(client, grace, "hi", "1").status_code == 200
    ada_id = customer_id(client, ADA, admin)

    listed = client.get(f"/api/v1/customers/{ada_id}/widget-sessions", headers=admin).json()
    assert listed["valid_from"] is None
    assert [(s["verified"], s["revoked"]) for s in listed["sessions"]] == [(True, False)]
    assert listed["sessions"][0]["last_seen_at"] is not None

    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        assert hello(ws, old)["type"] == "ready"
        past_the_replay(ws)
        revoked = client.post(f"/api/v1/customers/{ada_id}/widget-sessions/revoke", headers=admin)
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["sessions"] == 1 and revoked.json()["sockets_closed"] == 1
        closing = ws.receive_json()
        assert closing["type"] == "error" and closing["status"] == 401
        assert "revoked" in closing["reason"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401

    for token in (old, unused):
        refused = say(client, token, "still me?", "2")
        assert refused.status_code == 401 and "revoked" in refused.json()["error"]
        assert read(client, token).status_code == 401
        with client.websocket_connect("/api/v1/webchat/ws") as ws:
            frame = hello(ws, token)
            assert frame["status"] == 401 and "revoked" in frame["reason"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4401

    # Another customer's session is untouched.
    assert say(client, grace, "still here", "2").status_code == 200

    new = signed_in_token(client, ADA)
    assert say(client, new, "hello again", "1").status_code == 200
    assert next(m["text"] for m in read(client, new).json()["messages"]) == "hello again"
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        assert hello(ws, new)["type"] == "ready"
    assert customer_id(client, ADA, admin) == ada_id  # the same customer, a new session

    listed = client.get(f"/api/v1/customers/{ada_id}/widget-sessions", headers=admin).json()
    assert listed["valid_from"] == revoked.json()["valid_from"]
    assert [s["revoked"] for s in listed["sessions"]] == [True, False]


def test_a_socket_on_another_process_is_refused_at_its_next_message(client: TestClient) -> None:
    admin = staff_headers(client, "admin")
    token = signed_in_token(client, ADA)
    assert say(client, token, "hello", "1").status_code == 200
    ada_id = customer_id(client, ADA, admin)
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        assert hello(ws, token)["type"] == "ready"
        past_the_replay(ws)
        # Revoked where this process's hub cannot tell the socket: straight in the store,
        # then the wake-up the revoking process sends (without it: within a second).
        with database(client).transaction() as session:
            revoke_widget_sessions(session, ada_id, staff_user_id=None)
        client.app.state.services.revocations.expire()  # type: ignore[attr-defined]
        ws.send_json({"type": "message", "client_message_id": "2", "text": "anyone?"})
        frame = ws.receive_json()
        assert frame["status"] == 401 and "revoked" in frame["reason"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
    texts = [m["text"] for m in read(client, signed_in_token(client, ADA)).json()["messages"]]
    assert "anyone?" not in texts


def test_only_admins_revoke_and_unknown_customers_are_404(client: TestClient) -> None:
    agent = staff_headers(client, "agent")
    admin = staff_headers(client, "admin")
    token = signed_in_token(client, ADA)
    assert say(client, token, "hello", "1").status_code == 200
    ada_id = customer_id(client, ADA, admin)

    refused = client.post(f"/api/v1/customers/{ada_id}/widget-sessions/revoke", headers=agent)
    assert refused.status_code == 403 and "admin" in refused.json()["error"]
    assert say(client, token, "still fine", "2").status_code == 200
    assert (
        client.get(f"/api/v1/customers/{ada_id}/widget-sessions", headers=agent).status_code == 200
    )
    widget = {"Authorization": f"Bearer {token}"}
    assert (
        client.post(
            f"/api/v1/customers/{ada_id}/widget-sessions/revoke", headers=widget
        ).status_code
        == 403
    )
    for path in (
        "/api/v1/customers/999999/widget-sessions",
        "/api/v1/customers/999999/widget-sessions/revoke",
    ):
        method = client.post if path.endswith("revoke") else client.get
        missing = method(path, headers=admin)
        assert missing.status_code == 404 and "999999" in missing.json()["error"]
