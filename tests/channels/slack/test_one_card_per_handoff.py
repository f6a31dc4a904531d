"""One handoff, one card, and nothing an agent writes lost without a word: the real app
on SQLite and PostgreSQL, the Slack Web API stand-in, requests signed as Slack signs them.

- a customer asking for a person three times at once gets one handoff and one card;
- a reply in a thread that leads to no live handoff tells the agent it went nowhere, and
  one in a second card an older version posted still reaches the customer;
- a slash command sent again with the same `trigger_id` is answered once."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.conversation.engine import ConversationEngine
from crm_store import slack as store
from crm_store.models import Handoff, SlackCall
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor

SAM, MARTA = "USAM000001", "UMARTA0001"
ASKS = 3


def _queue_drained(client: TestClient) -> bool:
    """Every queued Slack call has been made (or has failed visibly)."""
    with services(client).database.transaction() as session:
        return all(call.status in ("done", "failed") for call in store.calls(session))


def _handled(client: TestClient, event_id: str) -> bool:
    """The app is done with this Events API delivery (handled or failed visibly)."""
    with services(client).database.transaction() as session:
        return store.event_status(session, event_id) in ("handled", "failed")


def _say_at_once(visitor: Visitor, texts: list[str]) -> list[list[str]]:
    """Send the messages of one widget session concurrently; the replies of each."""

    def say(number: int, text: str) -> list[str]:
        response = visitor.client.post(
            "/api/v1/webchat/messages",
            headers={"Authorization": f"Bearer {visitor.token}"},
            json={"client_message_id": f"at-once-{number}", "text": text},
        )
        assert response.status_code == 200, response.text
        return [reply["text"] for reply in response.json()["replies"]]

    with concurrent.futures.ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(say, range(len(texts)), texts))


def test_three_requests_for_a_person_at_once_make_one_handoff_and_one_card(
    slack_client: TestClient, standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All three messages are taken in while the bot still owns the conversation, and
    # only then does any of them go on to the dialogue: each asks for a handoff.
    taken_in = threading.Barrier(ASKS, timeout=60)
    understand = ConversationEngine._understand

    async def after_all_are_taken_in(self: ConversationEngine, message: Any) -> Any:
        await to_thread.run_sync(taken_in.wait)
        return await understand(self, message)

    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("hello")  # her conversation exists; the three below race on the handoff only
    monkeypatch.setattr(ConversationEngine, "_understand", after_all_are_taken_in)

    answers = _say_at_once(ada, ["talk to a person"] * ASKS)

    # Each request has reported its handoff to the desk before answering; once the
    # calls queued are made, the channel shows what it will show.
    eventually(lambda: standin.posted())
    eventually(lambda: _queue_drained(slack_client))
    (card,) = standin.posted()  # one card in the channel
    with services(slack_client).database.transaction() as session:
        rows = session.scalars(select(Handoff)).all()
        assert [(row.id, row.status) for row in rows] == [(handoff_id_on(card), "queued")]
    acks = sorted(text for replies in answers for text in replies)
    assert len(acks) == ASKS
    assert sum(a.startswith("I'm passing you to a person.") for a in acks) == 1
    assert sum(a.startswith("You're already in the queue") for a in acks) == ASKS - 1


def test_a_reply_in_a_thread_of_no_handoff_is_not_lost_without_a_word(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    card = card_of(standin)
    thread = wait_thread_ts(slack_client)
    slack.press(SAM, "handoff_claim", handoff_id_on(card), thread)
    eventually(lambda: any("Sam from our support team" in t for _, t in ada.transcript()))

    # A thread in the handoff channel under something that is no card.
    stray = "1700000000.000200"
    assert slack.thread_reply(SAM, stray, "Ada, your refund is on its way").status_code == 200
    eventually(lambda: _handled(slack_client, f"Ev{slack.events:08d}"))
    eventually(lambda: _queue_drained(slack_client))
    (notice,) = standin.made("chat.postEphemeral")
    assert notice.arguments["user"] == SAM and notice.arguments["thread_ts"] == stray
    assert notice.arguments["channel"] == HANDOFF_CHANNEL
    assert "Not sent" in notice.arguments["text"] and "no handoff" in notice.arguments["text"]
    assert all("refund is on its way" not in text for _, text in ada.transcript())

    # A second card of this handoff, as an older version posted them (migration 0008
    # keeps it as a copy): a reply in its thread reaches Ada.
    second_card = "1700000001.000300"
    with services(slack_client).database.transaction() as session:
        copy = store.enqueue_call(
            session, "chat.postMessage", {}, purpose="handoff_card_copy", handoff_id=None
        )
        store.call_done(session, copy.id, {"channel": HANDOFF_CHANNEL, "ts": second_card})
        session.get(SlackCall, copy.id).handoff_id = handoff_id_on(card)  # type: ignore[union-attr]
    slack.thread_reply(SAM, second_card, "Hi Ada, Sam here")
    eventually(lambda: ("agent", "Hi Ada, Sam here") in ada.transcript())

    # Threads in channels with no cards are other business: no notice there.
    elsewhere = {"channel": "CRANDOM001", "ts": "1700000002.000100"}
    slack.event({"type": "message", "user": SAM, "text": "lunch?", "thread_ts": "1.1", **elsewhere})
    eventually(lambda: _handled(slack_client, f"Ev{slack.events:08d}"))
    slack.thread_reply(SAM, stray, "still nobody?")
    eventually(lambda: _handled(slack_client, f"Ev{slack.events:08d}"))
    eventually(lambda: _queue_drained(slack_client))
    assert [c.arguments["channel"] for c in standin.made("chat.postEphemeral")] == [
        HANDOFF_CHANNEL,
        HANDOFF_CHANNEL,
    ]


def test_a_reply_in_a_superseded_handoffs_card_says_where_to_go(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    live = handoff_id_on(card_of(standin))
    wait_thread_ts(slack_client)
    # The second live handoff an older version opened, which migration 0008 superseded.
    with services(slack_client).database.transaction() as session:
        kept = session.get(Handoff, live)
        assert kept is not None
        duplicate = Handoff(
            conversation_id=kept.conversation_id,
            customer_id=kept.customer_id,
            reason="customer_asked",
            status="superseded",
            claimed_by_staff_id=sam,
            slack_channel=HANDOFF_CHANNEL,
            slack_thread_ts="1700000003.000100",
        )
        session.add(duplicate)
    slack.thread_reply(SAM, "1700000003.000100", "Hello Ada")
    (notice,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert f"reply in the thread of handoff #{live}'s card" in notice.arguments["text"]
    assert all("Hello Ada" not in text for _, text in ada.transcript())


def test_a_slash_command_sent_three_times_is_answered_once(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Marta Ruiz", "marta@example.com", "sales", MARTA)
    for _ in range(3):
        sent = slack.command(MARTA, "summary Acme Corp", trigger_id="7.8.9")
        assert sent.status_code == 200 and sent.text == ""

    def handled() -> bool:
        with services(slack_client).database.transaction() as session:
            return store.event_status(session, "command:7.8.9") == "handled"

    # Until the command is done with, or (as it was) a second answer shows up.
    eventually(lambda: handled() or len(standin.responses) > 1)
    eventually(lambda: _queue_drained(slack_client))
    (answer,) = standin.responses
    assert answer["text"] == "Summary: Acme Corp"
    # Another invocation (a new trigger id) is a new command.
    slack.command(MARTA, "summary Acme Corp")
    eventually(lambda: len(standin.responses) == 2)
