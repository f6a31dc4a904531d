"""The app with every inbound door open (web chat, Twilio, the mail relay, Slack, the
staff API), and the requests each door's client sends, signed as the providers sign
them: for the tests that take the database away under it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier
from starlette.websockets import WebSocketDisconnect

from bot.settings import (
    DatabaseSettings,
    DeliverySettings,
    EmailSettings,
    Settings,
    SlackSettings,
    TwilioSettings,
)
from crm_store import Database, customers, staff, upgrade
from tests.support.slack_standin import SlackStandIn, StandInServer
from tests.support.sms_harness import ACCOUNT, COMPANY_NUMBER, PUBLIC, TOKEN, inbound_form, sign

RETRY_AFTER = 7  # not the default, so the header is seen to come from the settings
RELAY_TOKEN = "relay-token-for-outage-tests-0123456789"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
HANDOFF_CHANNEL = "CHANDOFFS1"


@dataclass(frozen=True)
class Seeded:
    """What exists before the outage: a staff member's token and a customer."""

    staff_token: str
    customer_id: int


def seed(database_url: str) -> Seeded:
    """Migrate the database and add a staff member and a customer."""
    upgrade(database_url)
    database = Database(database_url)
    try:
        with database.transaction() as session:
            _, token = staff.create_staff(
                session, name="Grace Hopper", email="grace@example.com", role="agent"
            )
            customer, _ = customers.resolve_identity(session, "sms", "+14155550199")
        return Seeded(token, customer.id)
    finally:
        database.dispose()


@pytest.fixture
def slack_api() -> Iterator[str]:
    """The Slack Web API stand-in's base URL (Bolt asks it auth.test)."""
    with StandInServer(SlackStandIn()) as server:
        yield server.base_url + "/api/"


def outage_settings(
    tmp_path: Path, database_url: str, slack_api: str, **database: object
) -> Settings:
    return Settings(
        environment="development",
        data_dir=tmp_path / "var",
        public_base_url=PUBLIC,
        database=DatabaseSettings(
            url=database_url,
            auto_migrate=False,
            retry_after_seconds=RETRY_AFTER,
            **database,  # type: ignore[arg-type]
        ),
        delivery=DeliverySettings(poll_interval_seconds=0.2),
        twilio=TwilioSettings(
            account_sid=ACCOUNT,
            auth_token=SecretStr(TOKEN),
            from_number=COMPANY_NUMBER,
            api_base_url="http://127.0.0.1:9",  # nothing is sent in these tests
        ),
        email=EmailSettings(
            from_address="support@example.com", inbound_token=SecretStr(RELAY_TOKEN)
        ),
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            signing_secret=SecretStr(SLACK_SECRET),
            handoff_channel=HANDOFF_CHANNEL,
            api_base_url=slack_api,
        ),
    )


class Doors:
    """One request through each door; `n` makes each provider id new."""

    def __init__(self, client: TestClient, seeded: Seeded) -> None:
        self.client = client
        self.seeded = seeded
        started = client.post("/api/v1/webchat/sessions", json={"name": "Ada"})
        assert started.status_code == 200, started.text
        self.widget_token = started.json()["token"]

    def chat(self, n: int) -> httpx.Response:
        return self.client.post(
            "/api/v1/webchat/messages",
            json={"client_message_id": f"c-{n}", "text": f"hello {n}"},
            headers={"Authorization": f"Bearer {self.widget_token}"},
        )

    def sms(self, n: int) -> httpx.Response:
        path = "/webhooks/twilio/sms"
        form = inbound_form(f"text {n}", f"SM{n:032x}")
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": sign(path, form)})

    def mail(self, n: int) -> httpx.Response:
        mail = EmailMessage()
        mail["From"] = "Ada <ada@example.com>"
        mail["To"] = "support@example.com"
        mail["Subject"] = f"question {n}"
        mail["Message-ID"] = make_msgid(idstring=f"outage-{n}", domain="example.com")
        mail.set_content(f"mail {n}")
        return self.client.post(
            "/webhooks/email/inbound",
            content=mail.as_bytes(),
            headers={"Authorization": f"Bearer {RELAY_TOKEN}", "Content-Type": "message/rfc822"},
        )

    def slack(self, n: int, *, retry: int = 0) -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T0000001",
                "api_app_id": "A0000001",
                "type": "event_callback",
                "event_id": f"EvOutage{n:04d}",
                "event_time": int(time.time()),
                "event": {
                    "type": "message",
                    "channel": HANDOFF_CHANNEL,
                    "user": "U0AGENT01",
                    "text": f"note {n}",
                    "ts": f"{1_800_000_000 + n}.000100",
                },
            }
        )
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SLACK_SECRET).generate_signature(
                timestamp=ts, body=body
            ),
        }
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        return self.client.post("/webhooks/slack/events", content=body.encode(), headers=headers)

    def ticket(self, n: int) -> httpx.Response:
        return self.client.post(
            "/api/v1/tickets",
            json={"customer_id": self.seeded.customer_id, "subject": f"ticket {n}"},
            headers={"Authorization": f"Bearer {self.seeded.staff_token}"},
        )

    def http_doors(self) -> dict[str, Callable[[int], httpx.Response]]:
        return {
            "chat": self.chat,
            "sms": self.sms,
            "mail": self.mail,
            "slack": self.slack,
            "staff": self.ticket,
        }

    def socket_message(self, n: int) -> tuple[dict[str, object], int, str]:
        """Say hello and send one message over the widget's socket; the last frame and
        the close code and reason the server ended with."""
        frames: list[dict[str, object]] = []
        with self.client.websocket_connect("/api/v1/webchat/ws") as socket:
            socket.send_json({"type": "hello", "token": self.widget_token, "after": 0})
            try:
                frames.append(socket.receive_json())
                socket.send_json({"type": "message", "client_message_id": f"w-{n}", "text": "hi"})
                while True:
                    frames.append(socket.receive_json())
            except WebSocketDisconnect as closed:
                return frames[-1], closed.code, closed.reason
        raise AssertionError(f"the socket stayed open: {frames}")


def assert_unavailable(response: httpx.Response, door: str) -> None:
    """503, the API's JSON error shape, and the configured Retry-After."""
    assert response.status_code == 503, f"{door}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json"), door
    body = response.json()
    assert body["error"] and body["detail"] == body["error"], door
    assert response.headers["retry-after"] == str(RETRY_AFTER), door


def assert_socket_told_to_retry(doors: Doors, n: int) -> None:
    frame, code, reason = doors.socket_message(n)
    assert frame["type"] == "error" and frame["status"] == 503, frame
    assert frame["retry_after"] == RETRY_AFTER
    assert code == 1013  # Try Again Later
    assert "unavailable" in reason
