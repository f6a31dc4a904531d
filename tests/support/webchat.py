"""A web chat visitor: one widget session on the app under a TestClient, optionally
signed in with the site's identity hash, sending messages in order and reading back
what the widget would show (over HTTP, or the socket's replay)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from channels.web.identity import identity_hash
from tests.support.app import services


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
        self.session_id = response.json()["session_id"]
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

    def replay(self) -> list[tuple[str, str]]:
        """What the socket replays from the start, the widget's way: a ping after
        "ready" is answered once the replay is sent."""
        with self.client.websocket_connect("/api/v1/webchat/ws") as ws:
            ws.send_json({"type": "hello", "token": self.token, "after": 0})
            assert ws.receive_json()["type"] == "ready"
            ws.send_json({"type": "ping"})
            found = []
            while (frame := ws.receive_json())["type"] != "pong":
                if frame["type"] == "message":
                    found.append((frame["author"], frame["text"]))
            return found
