"""Slack's protocol duties: signatures checked over the raw body with the 5-minute window,
retried events handled once, bots ignored, and the Slack call queue's guarantees
(429 waits Retry-After, 5xx retried, a timed-out post found rather than repeated)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from crm_store import slack as slack_store
from crm_store.models import Interaction, SlackCall, SlackEvent
from knowledge.embeddings import SentenceEncoder
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA, seed
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack, slack_settings
from tests.support.slack_standin import BOT_ID, BOT_USER, SlackStandIn
from tests.support.webchat import Visitor

SAM = "USAM000001"


def counts(client: TestClient) -> tuple[int, int, int]:
    with services(client).database.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(SlackEvent)) or 0,
            session.scalar(select(func.count()).select_from(SlackCall)) or 0,
            session.scalar(select(func.count()).select_from(Interaction)) or 0,
        )


def claimed_handoff(client: TestClient, slack: Slack, standin: SlackStandIn) -> tuple[Visitor, str]:
    add_staff(client, "Sam Carter", "sam@example.com", "agent", SAM)
    ada = Visitor(client, signed_in_as=ADA)
    ada.say("talk to a person")
    (card,) = eventually(lambda: standin.posted())
    handoff_id = int(
        next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    eventually(lambda: slack_store_thread(client))
    slack.press(SAM, "handoff_claim", handoff_id, card["ts"])
    eventually(lambda: standin.made("chat.update"))
    return ada, card["ts"]


def slack_store_thread(client: TestClient) -> bool:
    with services(client).database.transaction() as session:
        return any(c.status == "done" for c in slack_store.calls(session))


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("payload={not json", "application/x-www-form-urlencoded", "neither JSON nor a form"),
        ("{not json", "application/json", "neither JSON nor a form"),
        ("[1, 2]", "application/json", "not a JSON object"),
        ('payload=["a"]', "application/x-www-form-urlencoded", "not a JSON object"),
    ],
)
def test_a_body_bolt_cannot_read_is_a_400_with_the_reason(
    slack_client: TestClient, slack: Slack, body: str, content_type: str, reason: str
) -> None:
    # Signed or not: Bolt parsed it before checking the signature, and it was a 500.
    for secret in (None, "not-the-signing-secret"):
        signed = {} if secret is None else {"secret": secret}
        answer = slack.post(body, content_type, **signed)  # type: ignore[arg-type]
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"].startswith("not a Slack request: ")
        assert reason in answer.json()["error"]
    latin1 = slack_client.post(
        "/webhooks/slack/events",
        content="payload=é".encode("latin-1"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert latin1.status_code == 400
    assert latin1.json()["error"] == "not a Slack request: the body is not UTF-8"


def test_forged_and_old_requests_get_401_and_leave_nothing(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    ada, thread = claimed_handoff(slack_client, slack, standin)
    before = counts(slack_client)
    calls_before = len(standin.calls)
    event = {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "user": SAM,
        "text": "forged reply",
        "ts": "1800000000.000001",
        "thread_ts": thread,
    }
    body = json.dumps({"type": "event_callback", "event_id": "EvForged", "event": event})
    forged = slack.post(body, "application/json", secret="not-the-signing-secret")
    old = slack.post(body, "application/json", timestamp=int(time.time()) - 6 * 60)
    assert (forged.status_code, old.status_code) == (401, 401)
    # Same body, the right signature: accepted. Proves the 401s were about the signature.
    assert slack.post(body, "application/json").status_code == 200
    eventually(lambda: ("agent", "forged reply") in ada.transcript())
    events, calls, interactions = counts(slack_client)
    assert events == before[0] + 1
    assert interactions == before[2] + 1
    assert calls == before[1]  # nothing queued for the two refused requests
    assert len(standin.calls) >= calls_before


def test_the_same_event_delivered_three_times_is_handled_once(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    ada, thread = claimed_handoff(slack_client, slack, standin)
    event = {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "user": SAM,
        "text": "Your refund is on its way",
        "ts": "1800000000.000002",
        "thread_ts": thread,
    }
    answers = [slack.event(event, event_id="EvRetried01", retry=n).status_code for n in range(3)]
    assert answers == [200, 200, 200]
    eventually(lambda: ("agent", "Your refund is on its way") in ada.transcript())
    with services(slack_client).database.transaction() as session:
        status = slack_store.event_status(session, "EvRetried01")
        sent = session.scalars(
            select(Interaction).where(Interaction.text == "Your refund is on its way")
        ).all()
    assert len(sent) == 1
    eventually(lambda: _status(slack_client, "EvRetried01") == "handled")
    assert status in ("received", "handled")
    assert [t for _, t in ada.transcript()].count("Your refund is on its way") == 1


def _status(client: TestClient, event_id: str) -> str | None:
    with services(client).database.transaction() as session:
        return slack_store.event_status(session, event_id)


def test_bot_messages_and_our_own_are_ignored(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    ada, thread = claimed_handoff(slack_client, slack, standin)
    base = {"type": "message", "channel": HANDOFF_CHANNEL, "thread_ts": thread}
    slack.event({**base, "text": "from another bot", "ts": "1800000001.1", "bot_id": "BOTHER01"})
    slack.event(
        {**base, "text": "ours", "ts": "1800000001.2", "bot_id": BOT_ID, "user": "UBOT000001"}
    )
    slack.event({**base, "subtype": "bot_message", "text": "legacy bot", "ts": "1800000001.3"})
    mention = f"<@{BOT_USER}> summary for Acme"  # meant for the bot, not the customer
    slack.event({**base, "user": SAM, "text": mention, "ts": "1800000001.4"}, event_id="EvMention")
    eventually(lambda: _status(slack_client, "EvMention") == "handled")
    slack.thread_reply(SAM, thread, "from Sam")
    eventually(lambda: ("agent", "from Sam") in ada.transcript())
    said = [t for _, t in ada.transcript()]
    assert not {"from another bot", "ours", "legacy bot"} & set(said)
    assert not any("summary for Acme" in t for t in said)


def test_a_429_waits_and_the_card_is_posted_exactly_once(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 429, retry_after=1)
    Visitor(slack_client, signed_in_as=ADA).say("talk to a person")
    eventually(lambda: standin.posted())
    eventually(lambda: slack_store_thread(slack_client))
    posts = standin.made("chat.postMessage")
    assert [c.status for c in posts] == [429, 200]
    assert len(standin.posted()) == 1
    assert standin.made("conversations.history") == []  # a 429 posted nothing: no search
    with services(slack_client).database.transaction() as session:
        (call,) = slack_store.calls(session)
    assert (call.status, call.attempts, call.uncertain) == ("done", 1, False)


def test_a_500_on_a_post_is_checked_for_then_posted_once(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 500, times=2)
    Visitor(slack_client, signed_in_as=ADA).say("talk to a person")
    eventually(lambda: standin.posted())
    eventually(lambda: slack_store_thread(slack_client))
    assert [c.status for c in standin.made("chat.postMessage")] == [500, 500, 200]
    assert len(standin.made("conversations.history")) == 2
    assert len(standin.posted()) == 1


@pytest.fixture
def impatient_client(settings: Settings, standin: SlackStandIn, encoder: SentenceEncoder) -> Any:
    """The app with a 1-second Slack timeout."""
    app = create_app(slack_settings(settings, standin, timeout_seconds=1), encoder=encoder)
    with TestClient(app) as client:
        seed(services(client).database)
        yield client


def test_a_post_whose_answer_never_came_is_found_not_repeated(
    impatient_client: TestClient, standin: SlackStandIn
) -> None:
    standin.hang_next("chat.postMessage", 3.0)  # posts, answers after the client gave up
    Visitor(impatient_client, signed_in_as=ADA).say("talk to a person")
    eventually(lambda: slack_store_thread(impatient_client))
    assert len(standin.made("chat.postMessage")) == 1
    assert len(standin.posted()) == 1
    (search,) = standin.made("conversations.history")
    assert search.arguments["channel"] == HANDOFF_CHANNEL
    with services(impatient_client).database.transaction() as session:
        (call,) = slack_store.calls(session)
    assert call.result["found"] is True and call.result["ts"] == standin.posted()[0]["ts"]


def test_without_a_token_slack_is_off_and_the_server_says_so(
    sqlite_settings: Settings, encoder: SentenceEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(create_app(sqlite_settings, encoder=encoder)) as client:
        assert client.post("/webhooks/slack/events", content=b"{}").status_code == 404
    assert any("Slack is off" in r.getMessage() for r in caplog.records)


def test_a_token_without_secret_or_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="SIGNING_SECRET"):
        Settings(slack={"bot_token": "xoxb-1"})  # type: ignore[arg-type]


def test_a_thread_message_waits_for_its_card_and_goes_in_order(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    standin.fail_next("chat.postMessage", 429, retry_after=1)
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    ada.say("it's about my refund")  # queued while the card waits out the 429
    ada.say("order 4417")
    thread = eventually(lambda: standin.posted()[0]["ts"] if len(standin.posted()) == 1 else None)
    replies = eventually(
        lambda: (
            standin.posted(thread_ts=thread) if len(standin.posted(thread_ts=thread)) == 2 else None
        )
    )
    assert [m["text"] for m in replies] == [
        "*Customer:* it's about my refund",
        "*Customer:* order 4417",
    ]
    # Nothing went out before the card: the first post after the 429 is the card itself.
    posts = standin.made("chat.postMessage")
    assert [("thread_ts" in c.arguments, c.status) for c in posts] == [
        (False, 429),
        (False, 200),
        (True, 200),
        (True, 200),
    ]


def test_a_call_slack_refuses_is_kept_as_failed_with_the_reason(
    slack_client: TestClient, standin: SlackStandIn
) -> None:
    standin.refuse_next("chat.postMessage", "channel_not_found")
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    ada.say("hello?")

    def failed() -> list[Any]:
        with services(slack_client).database.transaction() as session:
            rows = slack_store.calls(session)
        states = [r.status for r in rows]
        return rows if states == ["failed", "dead"] else []

    card, message = eventually(failed)
    assert "channel_not_found" in (card.last_error or "")
    # Kept (dead, listed) for an admin, not refused: a retry of the card brings it back.
    assert "card is not posted" in (message.last_error or "")
    assert len(standin.made("chat.postMessage")) == 1  # refused for good: not repeated
