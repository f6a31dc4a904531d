"""Requests to /webhooks/slack/events signed exactly as Slack signs them (events,
button presses, slash commands), and the app's settings with Slack on against the
Slack Web API stand-in."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from httpx import Response
from slack_sdk.signature import SignatureVerifier

from bot.settings import SlackSettings
from tests.support.slack_standin import SlackStandIn

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
