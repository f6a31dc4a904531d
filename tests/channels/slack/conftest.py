"""The real app with Slack on, against the local Slack Web API stand-in, and requests to
/webhooks/slack/events signed exactly as Slack signs them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bot.app import create_app
from bot.settings import SlackSettings
from crm_store import staff
from crm_store.models import Handoff
from knowledge.embeddings import SentenceEncoder
from tests.channels.slack.standin import SlackStandIn
from tests.support_customers import seed, services

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
HANDOFF_CHANNEL = "CHANDOFFS1"
EVENTS = "/webhooks/slack/events"


def slack_settings(settings: Any, standin: SlackStandIn, **overrides: Any) -> Any:
    slack = SlackSettings(
        bot_token="xoxb-test-token",
        signing_secret=SIGNING_SECRET,
        handoff_channel=HANDOFF_CHANNEL,
        api_base_url=standin.base_url + "/api/",  # type: ignore[attr-defined]
        **overrides,
    )
    return settings.model_copy(update={"slack": slack})


@pytest.fixture
def slack_client(
    settings: Any, standin: SlackStandIn, encoder: SentenceEncoder
) -> Iterator[TestClient]:
    with TestClient(create_app(slack_settings(settings, standin), encoder=encoder)) as client:
        seed(services(client).database)
        yield client


class Slack:
    """Sends what Slack sends: events, button presses and slash commands, signed."""

    def __init__(self, client: TestClient, standin: SlackStandIn) -> None:
        self.client = client
        self.standin = standin
        self.events = 0

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return self.client.post(
            EVENTS,
            content=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> Response:
        if event_id is None:
            self.events += 1
            event_id = f"Ev{self.events:08d}"
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0000001",
                "api_app_id": "A0000001",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, "application/json", headers=headers if retry else None)

    def thread_reply(self, user: str, thread_ts: str, text: str, **more: Any) -> Response:
        self.events += 1
        return self.event(
            {
                "type": "message",
                "channel": HANDOFF_CHANNEL,
                "channel_type": "channel",
                "user": user,
                "text": text,
                "ts": f"{1_800_000_000 + self.events}.000100",
                "thread_ts": thread_ts,
                **more,
            }
        )

    def press(self, user: str, action_id: str, handoff_id: int, card_ts: str) -> Response:
        payload = {
            "type": "block_actions",
            "team": {"id": "T0000001"},
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A0000001",
            "container": {"type": "message", "channel_id": HANDOFF_CHANNEL, "message_ts": card_ts},
            "channel": {"id": HANDOFF_CHANNEL},
            "message": {"ts": card_ts, "type": "message"},
            "trigger_id": "1.2.3",
            "response_url": f"{self.standin.base_url}/response/{user}",  # type: ignore[attr-defined]
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "handoff_actions",
                    "value": str(handoff_id),
                    "action_ts": "1.0",
                }
            ],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def command(self, user: str, text: str, *, trigger_id: str | None = None) -> Response:
        if trigger_id is None:  # Slack makes one per invocation
            self.events += 1
            trigger_id = f"{self.events}.2.3"
        form = {
            "token": "legacy",
            "team_id": "T0000001",
            "channel_id": "CSALES0001",
            "user_id": user,
            "command": "/switchboard",
            "text": text,
            "response_url": f"{self.standin.base_url}/response/{user}",  # type: ignore[attr-defined]
            "trigger_id": trigger_id,
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")


@pytest.fixture
def slack(slack_client: TestClient, standin: SlackStandIn) -> Slack:
    return Slack(slack_client, standin)


def add_staff(client: TestClient, name: str, email: str, role: str, slack_user: str | None) -> int:
    with services(client).database.transaction() as session:
        record, _ = staff.create_staff(
            session, name=name, email=email, role=role, slack_user_id=slack_user
        )
    return record.id


def eventually(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait for background work (Bolt listeners, the call worker) to show its effect."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def card_of(standin: SlackStandIn) -> dict[str, Any]:
    """The one handoff card posted to the handoff channel (waits for it)."""
    (card,) = eventually(lambda: standin.posted())
    return card  # type: ignore[no-any-return]


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card["blocks"], ensure_ascii=False)


def handoff_id_on(card: dict[str, Any]) -> int:
    """The handoff id the card's buttons carry."""
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    return int(actions["elements"][0]["value"])


def wait_thread_ts(client: TestClient) -> str:
    """The card's thread, once the handoff has recorded it."""

    def ts() -> str | None:
        with services(client).database.transaction() as session:
            return session.scalars(select(Handoff.slack_thread_ts)).first()

    return str(eventually(ts))
