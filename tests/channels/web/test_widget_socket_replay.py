"""The widget socket replays every page the feed has, not just the first."""

from __future__ import annotations

import asyncio
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


class WokenWhileReplaying(PagedFeed):
    """The session is woken (a reply committed elsewhere) while the hello's replay is
    being read, as a busy conversation's socket may be."""

    def __init__(self, hub: SessionHub, session_id: str) -> None:
        super().__init__()
        self.hub, self.session_id, self.woken = hub, session_id, False

    async def messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]:
        if not self.woken:
            self.woken = True
            self.hub.catch_up(self.session_id)
            await asyncio.sleep(0.05)  # time for the wake-up to be acted on
        return await super().messages_after(channel, address, after_seq)


def test_a_wake_up_during_the_replay_comes_after_ready_and_keeps_the_widgets_place() -> None:
    signer = SessionSigner("test-secret", max_age_seconds=60)
    session, token = signer.start()
    hub = SessionHub()
    feed = WokenWhileReplaying(hub, session.session_id)
    app = FastAPI()
    app.include_router(
        webchat_router(intake=NoIntake(), feed=feed, signer=signer, hub=hub, max_text_length=4000)
    )
    with TestClient(app) as client, client.websocket_connect("/api/v1/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": token, "after": 3})
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "ping"})
        frames = []
        while (frame := ws.receive_json())["type"] != "pong":
            frames.append(frame)
    # Messages 4 and 5 (a live push may repeat one: widgets dedupe by seq), never what
    # the widget had: the wake-up is not a reason to replay the whole conversation.
    assert {frame["seq"] for frame in frames} == {4, 5}
