"""Agents work handoffs in Slack, end to end with the real app: the card, the claim race,
thread replies to a web chat customer, notes, resolve."""

from __future__ import annotations

import concurrent.futures
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.surveys.asking import QUESTION as SURVEY_QUESTION
from crm_store import staff
from crm_store.models import Conversation, Handoff, Interaction, TicketEvent
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, card_text, wait_thread_ts
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor

SAM, KIM = "USAM000001", "UKIM000001"


def test_a_web_chat_customer_is_helped_from_slack_end_to_end(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("how long do refunds take?")
    (ack,) = ada.say("I'd like to talk to a human please")
    assert ack.startswith("I'm passing you to a person.")

    # The card reaches the handoff channel with the context and the buttons.
    card = card_of(standin)
    assert card["channel"] == HANDOFF_CHANNEL
    text = card_text(card)
    for expected in ("Ada Lovelace", ADA, "Acme Corp", "*Channel*\\nweb", "customer asked"):
        assert expected in text, expected
    assert "asked for a person" in text  # the summary
    assert "how long do refunds take?" in text  # last messages
    assert "Knowledge tried" in text and "Refunds" in text
    assert "Open tickets" in text and "T-1" in text
    assert "/staff/handoffs/" in text  # the signed page link
    actions = next(b for b in card["blocks"] if b["type"] == "actions")
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Claim", "Resolve", "Resolve, keep ticket open", "Back to bot"]
    handoff_id = int(actions["elements"][0]["value"])
    thread = wait_thread_ts(slack_client)
    assert thread == card["ts"]

    # Sam claims it: the card shows the owner, the customer is told.
    assert slack.press(SAM, "handoff_claim", handoff_id, thread).status_code == 200
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    assert 'Claim"' not in card_text(standin.posted()[0])
    eventually(lambda: any("Sam from our support team" in t for _, t in ada.transcript()))

    # A reply in the thread reaches her web chat; a note does not.
    assert (
        slack.thread_reply(SAM, thread, "Hi Ada, I&apos;m Sam &amp; I&apos;m on it.").status_code
        == 200
    )
    eventually(lambda: ("agent", "Hi Ada, I'm Sam & I'm on it.") in ada.transcript())
    slack.thread_reply(SAM, thread, "note: refund approved by finance")
    eventually(lambda: _notes(slack_client) == ["refund approved by finance"])
    assert all("refund approved" not in t for _, t in ada.transcript())

    # What she writes now appears in the thread; the bot stays quiet.
    assert ada.say("great, thank you") == []
    eventually(
        lambda: any("great, thank you" in m["text"] for m in standin.posted(thread_ts=thread))
    )

    # Sam resolves it: the customer is told, the card says so, the bot is back.
    slack.press(SAM, "handoff_resolve", handoff_id, thread)
    eventually(lambda: "Resolved by Sam Carter" in card_text(standin.posted()[0]))
    transcript = ada.transcript()
    assert transcript[-2][0] == "system" and "resolved" in transcript[-2][1]
    assert transcript[-1] == ("system", SURVEY_QUESTION["web"])  # then the rating
    assert not any(b["type"] == "actions" for b in standin.posted()[0]["blocks"])
    with services(slack_client).database.transaction() as session:
        conversation = session.get(Conversation, ada.conversation_id)
        agent_rows = session.scalars(select(Interaction).where(Interaction.author == "agent")).all()
    assert conversation is not None and (conversation.owner, conversation.status) == (
        "bot",
        "resolved",
    )
    assert [(r.text, r.staff_id) for r in agent_rows] == [("Hi Ada, I'm Sam & I'm on it.", sam)]
    # Our own thread posts came back as events? They are ignored; one card, no duplicates.
    assert len(standin.made("chat.postMessage")) == len(standin.messages)


def _notes(client: TestClient) -> list[str]:
    with services(client).database.transaction() as session:
        return [
            e.body for e in session.scalars(select(TicketEvent).where(TicketEvent.kind == "note"))
        ]


def test_two_agents_press_claim_at_once_and_one_wins(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    add_staff(slack_client, "Kim Lee", "kim@example.com", "agent", KIM)
    Visitor(slack_client, signed_in_as=ADA).say("talk to a person")
    card = card_of(standin)
    handoff_id = int(
        next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    thread = wait_thread_ts(slack_client)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        presses = [
            pool.submit(slack.press, u, "handoff_claim", handoff_id, thread) for u in (SAM, KIM)
        ]
        assert [p.result().status_code for p in presses] == [200, 200]

    told = eventually(lambda: standin.responses)
    (loser_answer,) = told
    updates = eventually(lambda: standin.made("chat.update"))
    with services(slack_client).database.transaction() as session:
        handoff = session.scalars(select(Handoff)).one()
    winner = "Sam Carter" if handoff.claimed_by_staff_id == 1 else "Kim Lee"
    assert handoff.status == "claimed"
    assert loser_answer["text"] == f"{winner} has this one."
    assert len(updates) == 1 and f"Claimed by {winner}" in json.dumps(updates[0].arguments)


def test_only_the_owner_replies_and_unmapped_people_are_sent_to_an_admin(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    # Kim has no Slack id on file: found once by her Slack email, then kept.
    kim = add_staff(slack_client, "Kim Lee", "kim@example.com", "agent", None)
    standin.users[KIM] = "Kim@Example.com"
    ada = Visitor(slack_client, signed_in_as=ADA)
    ada.say("talk to a person")
    card = card_of(standin)
    handoff_id = int(
        next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    thread = wait_thread_ts(slack_client)

    slack.press("UNOBODY001", "handoff_claim", handoff_id, thread)
    (unmapped,) = eventually(lambda: standin.responses)
    assert "Ask an admin" in unmapped["text"]

    # Before anyone claims it, a reply is refused with what to do (it said "only the
    # agent who claimed this conversation can reply", when nobody had).
    slack.thread_reply(KIM, thread, "Hi Ada, one moment")
    (unclaimed,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert unclaimed.arguments["user"] == KIM
    assert "nobody has claimed this conversation yet: press Claim" in unclaimed.arguments["text"]

    slack.press(KIM, "handoff_claim", handoff_id, thread)
    eventually(lambda: standin.made("chat.update"))
    slack.thread_reply(SAM, thread, "I'll take it from here")
    refusals = eventually(lambda: standin.made("chat.postEphemeral")[1:])
    (refusal,) = refusals
    assert refusal.arguments["user"] == SAM
    assert "only the agent who claimed" in refusal.arguments["text"]
    assert all("one moment" not in t for _, t in ada.transcript())
    assert all("take it from here" not in t for _, t in ada.transcript())
    with services(slack_client).database.transaction() as session:
        handoff = session.scalars(select(Handoff)).one()
    assert handoff.claimed_by_staff_id == kim
    assert len(standin.made("users.info")) == 2  # the stranger and Kim, once each
    slack.thread_reply(KIM, thread, "Hello Ada")
    eventually(lambda: ("agent", "Hello Ada") in ada.transcript())
    assert len(standin.made("users.info")) == 2  # Kim's id is kept now


def test_a_claim_through_the_staff_api_shows_on_the_card(
    slack_client: TestClient, standin: SlackStandIn
) -> None:
    with services(slack_client).database.transaction() as session:
        _, token = staff.create_staff(
            session, name="Kim Lee", email="kim@example.com", role="agent"
        )
    Visitor(slack_client, signed_in_as=ADA).say("talk to a person")
    card = card_of(standin)
    handoff_id = int(
        next(b for b in card["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    )
    response = slack_client.post(
        f"/api/v1/handoffs/{handoff_id}/claim", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    eventually(lambda: "Claimed by Kim Lee" in card_text(standin.posted()[0]))
    (update,) = standin.made("chat.update")
    assert update.arguments["ts"] == card["ts"]
