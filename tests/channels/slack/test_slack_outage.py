"""Slack down while a handoff opens: the card is retried for Slack's window, not six
tries; what the customer writes meanwhile waits behind the card in the handoff's lane
and follows it into the thread, in order, once Slack answers. If the card dies (Slack
down past the window), its messages die with it, both are listed, and an admin's retry
of the card posts the card and then the messages."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import DeliverySettings, Settings
from crm_store import slack as slack_store
from crm_store.staff import create_staff
from knowledge.embeddings import SentenceEncoder
from tests.support.app import eventually, services
from tests.support.customers import ADA, seed
from tests.support.slack_requests import slack_settings
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor


def statuses(client: TestClient) -> list[tuple[str, str]]:
    with services(client).database.transaction() as session:
        return [(call.purpose, call.status) for call in slack_store.calls(session)]


def thread_texts(standin: SlackStandIn) -> list[str]:
    cards = [m for m in standin.posted() if "blocks" in m]
    if not cards:
        return []
    return [m["text"] for m in standin.posted(thread_ts=cards[0]["ts"])]


def app_with(
    settings: Settings, standin: SlackStandIn, encoder: SentenceEncoder, **delivery: Any
) -> TestClient:
    quick = DeliverySettings(
        base_delay_seconds=0.01, max_delay_seconds=0.05, poll_interval_seconds=0.05, **delivery
    )
    configured = slack_settings(settings.model_copy(update={"delivery": quick}), standin)
    return TestClient(create_app(configured, encoder=encoder))


def test_a_slack_outage_keeps_the_handoff_and_replays_the_customer_in_order(
    settings: Settings, standin: SlackStandIn, encoder: SentenceEncoder
) -> None:
    # Twelve 503s: twice the six tries that used to mark the card failed for good.
    standin.fail_next("chat.postMessage", 503, times=12)
    with app_with(settings, standin, encoder) as client:
        seed(services(client).database)
        ada = Visitor(client, signed_in_as=ADA)
        ada.say("talk to a person")
        assert ada.say("my parcel never came") == []
        assert ada.say("it was order 1001") == []

        eventually(lambda: len(thread_texts(standin)) >= 2)

        texts = thread_texts(standin)
        assert len(texts) == 2
        assert "my parcel never came" in texts[0] and "it was order 1001" in texts[1]
        # Slack has the message a moment before the worker records the call done.
        eventually(lambda: {status for _, status in statuses(client)} == {"done"})


def test_a_dead_card_takes_its_messages_with_it_and_a_retry_brings_all_back(
    settings: Settings, standin: SlackStandIn, encoder: SentenceEncoder
) -> None:
    standin.fail_next("chat.postMessage", 503, times=10**6)
    with app_with(settings, standin, encoder, slack_retry_window_seconds=0.3) as client:
        database = services(client).database
        seed(database)
        with database.transaction() as session:
            _, token = create_staff(
                session, name="Ada Admin", email="root@example.com", role="admin"
            )
        bearer = {"Authorization": f"Bearer {token}"}
        ada = Visitor(client, signed_in_as=ADA)
        ada.say("talk to a person")
        ada.say("still there?")

        eventually(
            lambda: statuses(client) == [("handoff_card", "dead"), ("thread_message", "dead")]
        )
        listed = client.get("/api/v1/deliveries?state=dead", headers=bearer).json()["deliveries"]
        assert [(d["queue"], d["channel"]) for d in listed] == [("slack", "slack")] * 2
        assert "card is not posted" in (listed[1]["last_error"] or "")
        assert client.get("/healthz").json()["detail"] == {"dead_deliveries": 2}

        standin.failures.clear()
        card_id = listed[0]["id"]
        answer = client.post(f"/api/v1/deliveries/{card_id}/retry", headers=bearer)
        assert answer.status_code == 200 and answer.json()["retried"] == [
            card_id,
            listed[1]["id"],
        ]

        eventually(lambda: thread_texts(standin))
        assert ["still there?" in text for text in thread_texts(standin)] == [True]
        # Slack has the message a moment before the worker records the call done.
        eventually(lambda: {status for _, status in statuses(client)} == {"done"})
