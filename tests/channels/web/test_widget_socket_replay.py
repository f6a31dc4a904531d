"""The widget socket replays every page the feed has, not just the first."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.messages import Channel, ConversationMessage, InboundMessage, IntakeResult
from channels.web import SessionHub, SessionSigner, webchat_router

PAGE = 2


class PagedFeed:
    """Holds 5 messages and answers at most PAGE at a time; records each request."""

    def __init__(self) -> None:
        self.requests: list[int] = []
        self.messages = [
            ConversationMessage(
                conversation_id=7,
                seq=n,
                direction="out",
                author="bot",
                text=f"m{n}",
                created_at=datetime.now(UTC),
            )
            for n in range(1, 6)
        ]

    async def messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]:
        self.requests.append(after_seq)
        return 7, [m for m in self.messages if m.seq > after_seq][:PAGE]


class NoIntake:
    async def receive(self, message: InboundMessage) -> IntakeResult:
        raise AssertionError("no message is sent in this test")


def test_replay_walks_every_page() -> None:
    feed = PagedFeed()
    signer = SessionSigner("test-secret", max_age_seconds=60)
    app = FastAPI()
    app.include_router(
        webchat_router(
            intake=NoIntake(), feed=feed, signer=signer, hub=SessionHub(), max_text_length=4000
        )
    )
    _, token = signer.start()
    with TestClient(app) as client, client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 0})
        assert ws.receive_json()["type"] == "ready"
        seqs = [ws.receive_json()["seq"] for _ in range(5)]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # nothing else was queued before it
    assert seqs == [1, 2, 3, 4, 5]
    assert feed.requests == [0, 2, 4, 5]
