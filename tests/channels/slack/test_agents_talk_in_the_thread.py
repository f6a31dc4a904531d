"""Agents talk to each other in a card's thread, end to end through the real app: a
message opening with a mention (a user, a user group, @here, @channel, @everyone) is a
note on the ticket, never the customer's, and its writer is told how to send it instead;
a colleague who has not claimed the conversation may leave notes but not reply; a
mention later in a reply reaches the customer as the colleague's name."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.slack.agents import ADDRESSED_NOTE, NOTHING_TO_SEND
from crm_store.models import Interaction, TicketEvent
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import Slack
from tests.support.slack_standin import SlackStandIn
from tests.support.webchat import Visitor

SAM, KIM = "USAM000001", "UKIM000001"
STRANGER = "USTRANGER1"  # in the workspace, no staff user: users.info says user_not_found


def _handed_over(client: TestClient, standin: SlackStandIn) -> tuple[Visitor, int, str]:
    ada = Visitor(client, signed_in_as=ADA)
    ada.say("I'd like to talk to a human please")
    card = card_of(standin)
    return ada, handoff_id_on(card), wait_thread_ts(client)


def _notes(client: TestClient) -> list[tuple[str, int | None]]:
    with services(client).database.transaction() as session:
        events = session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "note").order_by(TicketEvent.id)
        )
        return [(e.body, e.staff_id) for e in events]


def _agent_rows(client: TestClient) -> list[tuple[str, int | None, str]]:
    with services(client).database.transaction() as session:
        rows = session.scalars(
            select(Interaction).where(Interaction.author == "agent").order_by(Interaction.id)
        )
        return [(r.text, r.staff_id, r.attributes["slack_text"]) for r in rows]


def _told(standin: SlackStandIn, user: str) -> list[str]:
    return [
        c.arguments["text"]
        for c in standin.made("chat.postEphemeral")
        if c.arguments["user"] == user
    ]


def _from_agents(ada: Visitor) -> list[str]:
    return [text for author, text in ada.transcript() if author == "agent"]


def test_a_message_opening_with_a_mention_is_a_note_and_a_later_mention_a_name(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    add_staff(slack_client, "Kim Lee", "kim@example.com", "agent", KIM)
    ada, handoff_id, thread = _handed_over(slack_client, standin)
    slack.press(SAM, "handoff_claim", handoff_id, thread)
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))

    addressed = [
        "<!here> can someone help with this refund?",
        "  <@UKIM000001> do you know this customer?",
        "<!subteam^S0BILLING|@billing> <!channel>, anyone?",
        "<!everyone|everyone>: who handles refunds over $500?",
    ]
    for count, text in enumerate(addressed, start=1):  # one at a time: the order is kept
        assert slack.thread_reply(SAM, thread, text).status_code == 200
        eventually(lambda: len(_told(standin, SAM)) == count)  # noqa: B023
    assert _told(standin, SAM) == [ADDRESSED_NOTE] * len(addressed)
    # Kept on the ticket as the colleagues read them in Slack, by Sam.
    assert _notes(slack_client) == [
        ("@here can someone help with this refund?", sam),
        ("@Kim Lee do you know this customer?", sam),
        ("@billing @channel, anyone?", sam),
        ("@everyone: who handles refunds over $500?", sam),
    ]

    # A mention later in a reply goes, with the colleague's name, or "a colleague" for
    # one whose name Slack would not give; never the raw id.
    reply = "Thanks for waiting. I asked <@UKIM000001> and she says your refund went out"
    slack.thread_reply(SAM, thread, reply)
    eventually(lambda: len(_from_agents(ada)) == 1)
    slack.thread_reply(SAM, thread, f"Also <@{STRANGER}> checked the carrier")
    eventually(lambda: len(_from_agents(ada)) == 2)
    assert _from_agents(ada) == [
        "Thanks for waiting. I asked Kim Lee and she says your refund went out",
        "Also a colleague checked the carrier",
    ]
    assert all("<@" not in text and "@here" not in text for _, text in ada.transcript())
    assert [(text, staff) for text, staff, _ in _agent_rows(slack_client)] == [
        ("Thanks for waiting. I asked Kim Lee and she says your refund went out", sam),
        ("Also a colleague checked the carrier", sam),
    ]
    assert _agent_rows(slack_client)[0][2] == reply  # the raw Slack text, for the audit
    assert len(_told(standin, SAM)) == len(addressed)  # the replies were not answered


def test_a_mention_with_nothing_after_it_is_refused_not_noted(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    ada, handoff_id, thread = _handed_over(slack_client, standin)
    slack.press(SAM, "handoff_claim", handoff_id, thread)
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    slack.thread_reply(SAM, thread, "<@UKIM000001> ")
    assert eventually(lambda: _told(standin, SAM)) == [NOTHING_TO_SEND]
    assert _notes(slack_client) == [] and _agent_rows(slack_client) == []
    assert _from_agents(ada) == []


def test_a_colleague_who_has_not_claimed_it_leaves_notes_but_cannot_reply(
    slack_client: TestClient, slack: Slack, standin: SlackStandIn
) -> None:
    sam = add_staff(slack_client, "Sam Carter", "sam@example.com", "agent", SAM)
    kim = add_staff(slack_client, "Kim Lee", "kim@example.com", "agent", KIM)
    ada, handoff_id, thread = _handed_over(slack_client, standin)

    # Before anyone claimed it, colleagues talk: notes, no claim needed.
    slack.thread_reply(KIM, thread, "<!here> she wrote to us last week about this order")
    eventually(lambda: _told(standin, KIM) == [ADDRESSED_NOTE])
    slack.press(SAM, "handoff_claim", handoff_id, thread)
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))

    # Sam asks Kim; Kim, who has not claimed it, answers Sam and notes a detail.
    talk = [
        (SAM, "<@UKIM000001> did she get the replacement?"),
        (KIM, "<@USAM000001> yes, signed for on Monday"),
        (KIM, "note: carrier ref 1Z999"),
    ]
    for count, (user, text) in enumerate(talk, start=2):  # one at a time: the order is kept
        slack.thread_reply(user, thread, text)
        eventually(lambda: len(_notes(slack_client)) == count)  # noqa: B023
    assert _notes(slack_client) == [
        ("@here she wrote to us last week about this order", kim),
        ("@Kim Lee did she get the replacement?", sam),
        ("@Sam Carter yes, signed for on Monday", kim),
        ("carrier ref 1Z999", kim),
    ]

    # A reply from Kim is still refused, as before: only the owner writes to Ada.
    slack.thread_reply(KIM, thread, "Hi Ada, Kim here")
    refusal = eventually(lambda: _told(standin, KIM)[2:])
    assert refusal == [
        "Not sent: only the agent who claimed this conversation can reply "
        "(a note for colleagues needs no claim)."
    ]
    assert _told(standin, KIM)[:2] == [ADDRESSED_NOTE] * 2  # `note:` is not answered

    slack.thread_reply(SAM, thread, "Hi Ada, your replacement was signed for on Monday")
    eventually(lambda: _from_agents(ada))
    assert _from_agents(ada) == ["Hi Ada, your replacement was signed for on Monday"]
    assert [(text, staff) for text, staff, _ in _agent_rows(slack_client)] == [
        ("Hi Ada, your replacement was signed for on Monday", sam)
    ]
