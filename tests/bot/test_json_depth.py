"""JSON nested too deeply: a 400 with a reason on every JSON route and widget frame,
never the parser's RecursionError (a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings
from channels.json_depth import JsonTooDeep, check_json_depth
from crm_store.staff import create_staff
from tests.support.fakes import ScriptedDialogue

DEEP = "[" * 1000 + "]" * 1000
REASON = "JSON is nested deeper than 32 levels"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_depth_scan_counts_brackets_outside_strings_only() -> None:
    check_json_depth(nested(32))
    with pytest.raises(JsonTooDeep, match="deeper than 32 levels"):
        check_json_depth(nested(33))
    check_json_depth('{"text": "' + "[" * 500 + '", "quote": "a \\" [[[ b"}')
    check_json_depth(b'{"a": "\\\\"}', limit=1)  # an escaped backslash ends the string
    with pytest.raises(JsonTooDeep):
        check_json_depth('{"a": {"b": [1, {"c": "}}]]"}]}}', limit=3)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'depth.db'}", auto_migrate=True),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        yield client


def assert_refused(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": REASON, "detail": REASON}


def widget_headers(client: TestClient) -> dict[str, str]:
    token = client.post("/api/v1/webchat/sessions", json={}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_deep_json_to_the_chat_api_is_a_400(client: TestClient) -> None:
    json_type = {"Content-Type": "application/json"}
    assert_refused(client.post("/api/v1/webchat/sessions", content=DEEP, headers=json_type))
    deep_object = '{"client_message_id": "1", "text": ' + DEEP + "}"
    headers = {**widget_headers(client), **json_type}
    assert_refused(client.post("/api/v1/webchat/messages", content=deep_object, headers=headers))
    # No content type at all: FastAPI parses it as JSON, so it is checked too.
    assert_refused(client.post("/api/v1/webchat/sessions", content=DEEP))


def test_deep_json_to_the_staff_api_is_a_400(client: TestClient) -> None:
    database = client.app.state.services.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        _, token = create_staff(session, name="Sam", email="sam@acme.test", role="agent")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = '{"customer_id": 1, "subject": ' + DEEP + "}"
    assert_refused(client.post("/api/v1/tickets", content=body, headers=headers))


def test_json_at_the_limit_still_reaches_the_route(client: TestClient) -> None:
    body = '{"name": "Ada", "email": ' + nested(30) + "}"
    response = client.post(
        "/api/v1/webchat/sessions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422  # the route's own answer: email is not a list


def test_a_deep_widget_frame_gets_an_error_frame_and_the_socket_carries_on(
    client: TestClient,
) -> None:
    token = widget_headers(client)["Authorization"].removeprefix("Bearer ")
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 0})
        assert ws.receive_json()["type"] == "ready"
        ws.send_text('{"type": "message", "text": ' + DEEP + "}")
        assert ws.receive_json() == {"type": "error", "status": 400, "reason": REASON}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_deep_hello_frame_closes_the_socket_as_a_bad_hello(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_text(DEEP)
        assert ws.receive_json()["status"] == 400
        assert ws.receive()["code"] == 4400
