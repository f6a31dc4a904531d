"""Every agent message reaches the customer, or the agent hears why (issue 15, items 3 to
5), end to end: an SMS customer handed to Sam in Slack through the real app, Twilio's
webhooks signed as Twilio signs them, Slack's events as Slack signs them, the replies
out through the real delivery worker to the Twilio stand-in.

- a reply with files (`file_share`) goes out with the files linked or named;
- a reply also sent to the channel (`thread_broadcast`) goes out once;
- a reply to a customer who texted STOP, or one Twilio refuses, is answered by a notice
  in the card's thread, and the staff API shows the reason on the reply;
- Slack's formatting reaches the phone as plain text;
- a reply longer than one text takes is refused with the reason, never sent cut.
- a bot answer Twilio refused before the handoff is marked on the card, not shown as read.
- the bot's words refused after the card was drawn are told in its thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from channels.slack.agents import NOTHING_TO_SEND
from crm_store import staff
from crm_store.models import Interaction
from knowledge.embeddings import SentenceEncoder
from tests.support.app import add_staff, eventually, services
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack, slack_settings
from tests.support.slack_standin import SlackStandIn
from tests.support.sms_harness import CUSTOMER, INBOUND_PATH, inbound_form, sign, twilio_settings
from tests.support.twilio_standin import Post, TwilioStandIn

SAM, KIM = "USAM000001", "UKIM000001"
CLAIMED = "Sam from our support team has joined the conversation."


@pytest.fixture
def client(
    settings: Settings, stand_in: TwilioStandIn, standin: SlackStandIn, encoder: SentenceEncoder
) -> Iterator[TestClient]:
    both = slack_settings(twilio_settings(settings, stand_in), standin)
    with TestClient(create_app(both, encoder=encoder)) as app_client:
        add_staff(app_client, "Sam Carter", "sam@example.com", "agent", SAM)
        yield app_client


@pytest.fixture
def slack(client: TestClient, standin: SlackStandIn) -> Slack:
    return Slack(client, standin)


def text_in(client: TestClient, body: str, sid: str) -> None:
    form = inbound_form(body, sid)
    response = client.post(
        INBOUND_PATH, data=form, headers={"X-Twilio-Signature": sign(INBOUND_PATH, form)}
    )
    assert response.status_code == 200, response.text


def texts(stand_in: TwilioStandIn, *fragments: str) -> list[Post]:
    """Texts Twilio accepted for the customer containing every fragment."""
    return [
        p
        for p in stand_in.accepted
        if p.form["To"] == CUSTOMER and all(f in p.form["Body"] for f in fragments)
    ]


def handed_to_sam(client: TestClient, slack: Slack, stand_in: TwilioStandIn) -> str:
    """The customer asks for a person by SMS, Sam claims the card: its thread's ts."""
    text_in(client, "I want to talk to a human", "SM-in-1")
    card = card_of(slack.standin)
    thread = wait_thread_ts(client)
    assert slack.press(SAM, "handoff_claim", handoff_id_on(card), thread).status_code == 200
    eventually(lambda: "Claimed by Sam Carter" in card_text(slack.standin.posted()[0]))
    eventually(lambda: texts(stand_in, CLAIMED))
    return thread


def agent_rows(client: TestClient) -> list[Interaction]:
    with services(client).database.transaction() as session:
        rows = session.scalars(
            select(Interaction).where(Interaction.author == "agent").order_by(Interaction.id)
        ).all()
        session.expunge_all()
        return list(rows)


def _sent_as(client: TestClient, interaction_id: int) -> tuple[str, int] | None:
    """The encoding and segments the SMS sender recorded, once it has."""
    with services(client).database.transaction() as session:
        found = session.get(Interaction, interaction_id)
        assert found is not None
        attributes = found.attributes or {}
    if "sms_segments" not in attributes:
        return None
    return attributes["sms_encoding"], attributes["sms_segments"]


def staff_token(client: TestClient) -> str:
    with services(client).database.transaction() as session:
        _, token = staff.create_staff(
            session, name="Ana Admin", email="ana@example.com", role="admin"
        )
    return token


def api_timeline(client: TestClient, customer_id: int) -> list[dict[str, Any]]:
    answer = client.get(
        f"/api/v1/customers/{customer_id}/interactions",
        headers={"Authorization": f"Bearer {staff_token(client)}"},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["interactions"])


def notices(standin: SlackStandIn, thread: str) -> list[str]:
    return [m["text"] for m in standin.posted(thread_ts=thread) if "Not delivered" in m["text"]]


def test_a_reply_with_files_reaches_the_phone_with_the_files_linked_or_named(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    files = [
        {"id": "F1", "name": "invoice.pdf", "public_url_shared": False,
         "url_private": "https://files.slack.com/files-pri/T1-F1/invoice.pdf",
         "permalink_public": "https://slack-files.com/T1-F1-0a1b2c"},
        {"id": "F2", "name": "returns-label.png", "public_url_shared": True,
         "url_private": "https://files.slack.com/files-pri/T1-F2/returns-label.png",
         "permalink_public": "https://slack-files.com/T1-F2-3d4e5f"},
    ]  # fmt: skip
    sent = slack.thread_reply(
        SAM, thread, "Here are your documents", subtype="file_share", files=files
    )
    assert sent.status_code == 200

    (text,) = eventually(lambda: texts(stand_in, "Here are your documents"))
    body = text.form["Body"]
    # The private file is named (a Slack link would not open for the customer)...
    assert "(Sam attached a file: invoice.pdf - ask us to resend it another way)" in body
    assert "files.slack.com" not in body and "T1-F1" not in body
    # ...the public one is linked.
    assert "returns-label.png: https://slack-files.com/T1-F2-3d4e5f" in body

    # The timeline has it, with what Slack sent kept for the audit.
    eventually(lambda: [r.delivery_status for r in agent_rows(client)] == ["sent"])
    (row,) = agent_rows(client)
    assert "invoice.pdf" in row.text
    assert row.attributes["slack_text"] == "Here are your documents"
    assert [f["name"] for f in row.attributes["slack_files"]] == [
        "invoice.pdf",
        "returns-label.png",
    ]


def test_a_file_alone_is_a_reply_too(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    files = [{"id": "F3", "name": "receipt.pdf", "public_url_shared": False}]
    slack.thread_reply(SAM, thread, "", subtype="file_share", files=files)
    eventually(lambda: texts(stand_in, "Sam attached a file: receipt.pdf"))


def test_a_reply_also_sent_to_the_channel_reaches_the_customer_once(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    broadcast = "Your refund went out today."
    sent = slack.thread_reply(SAM, thread, broadcast, subtype="thread_broadcast")
    assert sent.status_code == 200
    eventually(lambda: texts(stand_in, broadcast))
    # A later reply arrives after it: by then a duplicate would have gone too.
    slack.thread_reply(SAM, thread, "Anything else?")
    eventually(lambda: texts(stand_in, "Anything else?"))
    assert len(texts(stand_in, broadcast)) == 1
    assert [r.text for r in agent_rows(client)] == [broadcast, "Anything else?"]


def test_an_edit_is_not_sent_and_an_unknown_kind_is_refused_in_words(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": HANDOFF_CHANNEL,
        "message": {"user": SAM, "text": "edited", "ts": "1800000001.000100", "thread_ts": thread},
        "ts": "1800000002.000100",
    }
    assert slack.event(edit).status_code == 200
    slack.thread_reply(SAM, thread, "a poll", subtype="huddle_thread")
    (refusal,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert "huddle_thread" in refusal.arguments["text"] and refusal.arguments["user"] == SAM
    assert agent_rows(client) == []
    assert not texts(stand_in, "edited") and not texts(stand_in, "a poll")


def test_a_reply_too_long_for_one_text_is_refused_with_the_reason_not_cut(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    steps = " ".join(f"Step {n}: do thing {n}, then check it." for n in range(1, 61))
    assert len(steps) > 1600
    slack.thread_reply(SAM, thread, steps)
    (refusal,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert refusal.arguments["user"] == SAM
    assert refusal.arguments["text"] == (
        f"Not sent: {len(steps)} characters are more than one text message takes (1600); "
        "send it in shorter parts."
    )
    # The staff API refuses it the same way, with 422.
    with services(client).database.transaction() as session:
        _, sams_token = staff.give_new_token(session, "sam@example.com")
    answer = client.post(
        f"/api/v1/handoffs/{handoff_id_on(card_of(standin))}/replies",
        json={"text": steps},
        headers={"Authorization": f"Bearer {sams_token}"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(f"{len(steps)} characters are more than")
    assert agent_rows(client) == [] and not texts(stand_in, "Step 1:")
    # In parts, it goes.
    half = steps[: len(steps) // 2]
    slack.thread_reply(SAM, thread, half)
    eventually(lambda: texts(stand_in, half))


def test_a_reply_outside_the_gsm_alphabet_is_measured_in_ucs2_segments(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    """A Polish letter makes the whole text UCS-2 (70 characters in one segment, 67 per
    part): 738 characters then take 12 segments, more than the 1,600 GSM characters
    of one text message take (11). It used to pass, measured in characters alone."""
    thread = handed_to_sam(client, slack, stand_in)
    line = "Dziękuję, proszę spróbować ponownie. "  # 37 characters (not "°": sent as a word)
    steps = (line * 21)[:738]
    slack.thread_reply(SAM, thread, steps)
    (refusal,) = eventually(lambda: standin.made("chat.postEphemeral"))
    assert refusal.arguments["text"] == (
        "Not sent: 738 characters take 12 SMS segments as UCS-2, because of 'ę' (not in "
        "the GSM alphabet: 70 characters in one segment, 67 per part); one text message "
        "takes at most 11 (1600 GSM characters, or 737 like these); send it in shorter "
        "parts, or without 'ę'."
    )
    assert agent_rows(client) == [] and not texts(stand_in, "Dziękuję")
    # One character less fits: 11 segments of 67.
    slack.thread_reply(SAM, thread, steps[:737])
    (sent,) = eventually(lambda: texts(stand_in, "Dziękuję"))
    assert len(sent.form["Body"]) == 737
    (row,) = agent_rows(client)
    assert eventually(lambda: _sent_as(client, row.id)) == ("UCS-2", 11)


def test_a_reply_to_a_customer_who_texted_stop_tells_the_agent_why(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    text_in(client, "STOP", "SM-in-stop")
    # The STOP is recorded before Twilio is answered.
    slack.thread_reply(SAM, thread, "Are you still there?")

    (notice,) = eventually(lambda: notices(standin, thread))
    assert "Are you still there?" in notice
    assert "opted out of sms" in notice and "SMS STOP" in notice
    assert not texts(stand_in, "Are you still there?")

    (row,) = agent_rows(client)
    (shown,) = [i for i in api_timeline(client, row.customer_id) if i["id"] == row.id]
    assert shown["delivery_status"] == "opted_out"
    assert "opted out by SMS STOP" in shown["attributes"]["delivery_error"]


def test_a_reply_twilio_refuses_tells_the_agent_twilios_words(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    thread = handed_to_sam(client, slack, stand_in)
    stand_in.fail_next(400, 21614, "'To' number is not a valid mobile number")
    slack.thread_reply(SAM, thread, "Your parcel ships tomorrow")

    (notice,) = eventually(lambda: notices(standin, thread))
    assert "Your parcel ships tomorrow" in notice
    assert "Twilio answered HTTP 400, error 21614" in notice
    assert "not a valid mobile number" in notice

    (row,) = agent_rows(client)
    (shown,) = [i for i in api_timeline(client, row.customer_id) if i["id"] == row.id]
    assert shown["delivery_status"] == "failed"
    error = shown["attributes"]["delivery_error"]
    assert error.startswith("Twilio answered HTTP 400, error 21614")
    assert "'To' number is not a valid mobile number" in error
    assert shown["attributes"]["handoff_id"] >= 1


def test_a_thread_message_with_nothing_for_the_customer_is_refused_not_dropped(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    # "<!here>" alone is nothing once Slack's mention is dropped, "note:" alone an empty
    # note: both went nowhere, and the agent was not told.
    thread = handed_to_sam(client, slack, stand_in)
    slack.thread_reply(SAM, thread, "<!here>")
    slack.thread_reply(SAM, thread, "note:")
    refusals = eventually(
        lambda: len(standin.made("chat.postEphemeral")) == 2 and standin.made("chat.postEphemeral")
    )
    assert [(c.arguments["user"], c.arguments["text"]) for c in refusals] == [
        (SAM, NOTHING_TO_SEND),
        (SAM, NOTHING_TO_SEND),
    ]
    assert agent_rows(client) == []


def test_slack_formatting_reaches_the_phone_as_plain_text(
    client: TestClient, slack: Slack, stand_in: TwilioStandIn
) -> None:
    add_staff(client, "Kim Lee", "kim@example.com", "agent", KIM)
    thread = handed_to_sam(client, slack, stand_in)
    raw = (
        "Hi! <@UKIM000001> from <#C0BILLING|billing> checked it :tada: *all done*. "
        "See <https://help.example/refunds|the refund guide> &amp; reply <!here>"
    )
    slack.thread_reply(SAM, thread, raw)
    (text,) = eventually(lambda: texts(stand_in, "Kim Lee"))
    assert text.form["Body"] == (
        "Hi! Kim Lee from #billing checked it \U0001f389 all done. "
        "See the refund guide: https://help.example/refunds & reply"
    )
    (row,) = agent_rows(client)
    assert row.text == (
        "Hi! Kim Lee from #billing checked it \U0001f389 **all done**. "
        "See [the refund guide](https://help.example/refunds) & reply"
    )
    assert row.attributes["slack_text"] == raw


def test_a_bot_answer_twilio_refused_is_marked_on_the_card_not_shown_as_read(
    client: TestClient, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    stand_in.fail_next(400, 21614, "'To' number is not a valid mobile number")
    text_in(client, "how long do refunds take?", "SM-in-1")

    def bot_answer() -> Interaction | None:
        with services(client).database.transaction() as session:
            row = session.scalars(select(Interaction).where(Interaction.author == "bot")).first()
            session.expunge_all()
            return row

    eventually(lambda: (row := bot_answer()) and row.delivery_status == "failed")
    text_in(client, "I want to talk to a human", "SM-in-2")
    last = card_text(card_of(standin)).split("Last messages", 1)[1]
    # Right after the author, before the answer's words (a line cut short loses its end).
    answered, passing_on = [e for e in last.split("\\n*") if e.startswith("bot:*")]
    assert answered.startswith(
        "bot:* :warning: _not delivered: the send failed (Twilio answered HTTP 400, error "
        "21614: Unable to create record: 'To' number is not a valid mobile number)_ "
        "Refunds are issued"
    )
    assert passing_on.startswith("bot:* I'm passing you to a person.")
    # The customer's words, and "passing you to a person" (on its way), are not marked.
    assert last.count("not delivered") == 1
    assert not texts(stand_in, "Refunds are issued")
    # So does the handoff's page the card links to.
    link = re.search(r"<(https://[^|>]+)\|handoff page>", card_text(card_of(standin)))
    assert link is not None
    page = client.get(urlsplit(link.group(1)).path + "?" + urlsplit(link.group(1)).query)
    assert page.status_code == 200
    assert (
        "<em>(not delivered: the send failed (Twilio answered HTTP 400, error 21614: "
        "Unable to create record: &#x27;To&#x27; number is not a valid mobile number))</em>"
    ) in page.text


def test_words_to_the_customer_failing_after_the_card_is_drawn_are_told_in_its_thread(
    client: TestClient, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    # "I'm passing you to a person" is on its way when the card is drawn; Twilio then
    # refuses it. The agent must not open with "as I said, someone will be with you".
    stand_in.fail_next(400, 21614, "'To' number is not a valid mobile number")
    text_in(client, "I want to talk to a human", "SM-in-1")
    thread = wait_thread_ts(client)
    (notice,) = eventually(lambda: notices(standin, thread))
    assert notice.startswith(":warning: Not delivered: “I'm passing you to a person.")
    assert "Twilio answered HTTP 400, error 21614" in notice
    assert not texts(stand_in, "passing you to a person")
