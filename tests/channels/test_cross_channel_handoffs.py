"""A customer on SMS or email, helped by an agent in Slack, end to end through the real
app: signed Twilio webhooks and the email relay webhook in, the real NLU hands over, the
card reaches the Slack Web API stand-in, the agent claims it and replies in the card's
thread (signed Slack requests), and the reply leaves through the real delivery worker
and the twilio library (Twilio REST stand-in) or SMTP (aiosmtpd). What the customer
writes next appears in the thread. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import create_app
from bot.settings import EmailSettings, Settings
from crm_store.models import Interaction
from knowledge.embeddings import SentenceEncoder
from tests.support.app import add_staff, eventually, services
from tests.support.customers import ADA, seed
from tests.support.mail import mail
from tests.support.mail_servers import SmtpServer
from tests.support.slack_cards import card_of, card_text, handoff_id_on, wait_thread_ts
from tests.support.slack_requests import HANDOFF_CHANNEL, Slack, slack_settings
from tests.support.slack_standin import SlackStandIn
from tests.support.sms_harness import (
    ACCOUNT,
    COMPANY_NUMBER,
    CUSTOMER,
    INBOUND_PATH,
    TOKEN,
    inbound_form,
    sign,
    twilio_settings,
)
from tests.support.twilio_standin import Post, TwilioStandIn

SAM = "USAM000001"
CLAIMED = "Sam from our support team has joined the conversation."
RELAY_TOKEN = "relay-token-for-tests-0123456789abcdef"
MAIL_WEBHOOK = "/webhooks/email/inbound"
REPLY_EVENT, REPLY_TS = "EvSAMREPLY01", "1800000100.000200"


def thread_message(thread_ts: str, text: str, ts: str) -> dict[str, Any]:
    """Sam's message in the card's thread, as the Events API carries it."""
    return {
        "type": "message",
        "channel": HANDOFF_CHANNEL,
        "channel_type": "channel",
        "user": SAM,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
    }


def in_thread(standin: SlackStandIn, thread_ts: str, text: str) -> list[dict[str, Any]]:
    return [m for m in standin.posted(thread_ts=thread_ts) if m["text"] == text]


def conversation_rows(client: TestClient) -> list[tuple[str, str, str, int | None]]:
    with services(client).database.transaction() as session:
        rows = session.scalars(select(Interaction).order_by(Interaction.id))
        return [(r.direction, r.author, r.text, r.staff_id) for r in rows]


def delivery_of(client: TestClient, text: str) -> tuple[str | None, str | None]:
    """The delivery status and provider id recorded on the message with this text."""
    with services(client).database.transaction() as session:
        row = session.scalars(select(Interaction).where(Interaction.text == text)).one()
        return row.delivery_status, row.provider_message_id


def claim_and_reply(client: TestClient, slack: Slack, standin: SlackStandIn, reply: str) -> str:
    """Sam claims the one handoff card and answers in its thread (returned)."""
    card = card_of(standin)
    handoff_id = handoff_id_on(card)
    thread = wait_thread_ts(client)
    assert thread == card["ts"]
    assert slack.press(SAM, "handoff_claim", handoff_id, thread).status_code == 200
    eventually(lambda: "Claimed by Sam Carter" in card_text(standin.posted()[0]))
    sent = slack.event(thread_message(thread, reply, REPLY_TS), event_id=REPLY_EVENT)
    assert sent.status_code == 200, sent.text
    return thread


# -- SMS ------------------------------------------------------------------------------


@pytest.fixture
def sms_slack_client(
    settings: Settings,
    stand_in: TwilioStandIn,
    standin: SlackStandIn,
    encoder: SentenceEncoder,
) -> Iterator[TestClient]:
    both = slack_settings(twilio_settings(settings, stand_in), standin)
    with TestClient(create_app(both, encoder=encoder)) as client:
        yield client


def text_in(client: TestClient, body: str, sid: str) -> None:
    """The customer's text, posted as Twilio posts it (signed for the public URL)."""
    form = inbound_form(body, sid)
    response = client.post(
        INBOUND_PATH, data=form, headers={"X-Twilio-Signature": sign(INBOUND_PATH, form)}
    )
    assert response.status_code == 200, response.text


def texts_to_customer(stand_in: TwilioStandIn, body: str) -> list[Post]:
    return [p for p in stand_in.accepted if p.form["To"] == CUSTOMER and p.form["Body"] == body]


def test_an_sms_customer_is_answered_by_an_agent_from_the_slack_thread(
    sms_slack_client: TestClient, stand_in: TwilioStandIn, standin: SlackStandIn
) -> None:
    client = sms_slack_client
    sam = add_staff(client, "Sam Carter", "sam@example.com", "agent", SAM)
    slack = Slack(client, standin)

    text_in(client, "I want to talk to a human", "SM-in-1")

    # The bot says it is passing them on, by SMS; the card reaches the handoff channel.
    (ack,) = eventually(lambda: [p for p in stand_in.accepted if p.form["To"] == CUSTOMER])
    assert ack.form["Body"].startswith("I'm passing you to a person.")
    card = card_of(standin)
    assert card["channel"] == HANDOFF_CHANNEL
    shown = card_text(card)
    for expected in (CUSTOMER, "*Channel*\\nsms", "asked for a person", "talk to a human"):
        assert expected in shown, expected

    # Sam claims it (the customer is told by SMS) and answers in the thread, where Slack
    # escapes "&" as "&amp;".
    reply = "Hi, this is Sam. Your refund went out today & lands within 5 days."
    thread = claim_and_reply(client, slack, standin, reply.replace("&", "&amp;"))
    eventually(lambda: texts_to_customer(stand_in, CLAIMED))
    (sent,) = eventually(lambda: texts_to_customer(stand_in, reply))
    assert sent.form["From"] == COMPANY_NUMBER
    assert sent.auth == (ACCOUNT, TOKEN)
    sid = f"SM{stand_in.accepted.index(sent) + 1:032x}"  # what the stand-in answered
    eventually(lambda: delivery_of(client, reply) == ("sent", sid))

    # Slack delivers the same event again: acknowledged, not sent twice.
    again = slack.event(
        thread_message(thread, reply.replace("&", "&amp;"), REPLY_TS),
        event_id=REPLY_EVENT,
        retry=1,
    )
    assert again.status_code == 200

    # The customer's next text appears in the card's thread; the bot does not answer.
    text_in(client, "Thanks Sam, that's great", "SM-in-2")
    (relayed,) = eventually(
        lambda: in_thread(standin, thread, "*Customer:* Thanks Sam, that's great")
    )
    (call,) = [
        c for c in standin.made("chat.postMessage") if c.arguments.get("text") == relayed["text"]
    ]
    assert call.arguments["thread_ts"] == thread
    assert call.arguments["channel"] == HANDOFF_CHANNEL
    assert len(texts_to_customer(stand_in, reply)) == 1
    rows = conversation_rows(client)
    assert rows[-3:] == [
        ("out", "system", CLAIMED, None),
        ("out", "agent", reply, sam),
        ("in", "customer", "Thanks Sam, that's great", None),
    ]
    # Every text went to the customer, from the company's number, with the account's auth.
    assert {(p.form["To"], p.form["From"], p.auth) for p in stand_in.accepted} == {
        (CUSTOMER, COMPANY_NUMBER, (ACCOUNT, TOKEN))
    }


# -- email ----------------------------------------------------------------------------


@pytest.fixture
def mail_slack_client(
    settings: Settings, smtp: SmtpServer, standin: SlackStandIn, encoder: SentenceEncoder
) -> Iterator[TestClient]:
    email = EmailSettings(
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        from_address="support@acme.test",
        from_name="Acme Support",
        inbound_token=SecretStr(RELAY_TOKEN),
    )
    with_mail = settings.model_copy(update={"email": email})
    with TestClient(create_app(slack_settings(with_mail, standin), encoder=encoder)) as client:
        seed(services(client).database)
        yield client


def mail_in(client: TestClient, message: EmailMessage) -> dict[str, Any]:
    """The customer's mail, handed over by the mail relay, which checked its sender
    (DMARC) and says it passed."""
    response = client.post(
        MAIL_WEBHOOK + "?sender_verdict=pass",
        content=message.as_bytes(),
        headers={"Authorization": f"Bearer {RELAY_TOKEN}", "Content-Type": "message/rfc822"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def mails_saying(smtp: SmtpServer, text: str) -> list[EmailMessage]:
    return [
        m
        for m in list(smtp.recorder.received)
        if m.get_body(("plain",)).get_content().strip() == text
    ]


def test_an_email_customer_is_answered_by_an_agent_from_the_slack_thread(
    mail_slack_client: TestClient, smtp: SmtpServer, standin: SlackStandIn
) -> None:
    client = mail_slack_client
    sam = add_staff(client, "Sam Carter", "sam@example.com", "agent", SAM)
    slack = Slack(client, standin)

    asked = mail(
        "Hello, could I talk to a person please?",
        message_id="<ask-1@example.com>",
        subject="Refund for order 4417",
        references="<order-4417@shop.example>",
    )
    landed = mail_in(client, asked)
    assert landed["answered"] is True and landed["duplicate"] is False

    # The bot's acknowledgement is an automatic reply; the card shows Ada and her mail.
    (ack,) = eventually(lambda: list(smtp.recorder.received))
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<ask-1@example.com>"
    shown = card_text(card_of(standin))
    for expected in ("Ada Lovelace", ADA, "*Channel*\\nemail", "asked for a person"):
        assert expected in shown, expected

    reply = "Hi Ada, this is Sam. I've sent the refund for order 4417 today."
    thread = claim_and_reply(client, slack, standin, reply)
    (answer,) = eventually(lambda: mails_saying(smtp, reply))

    # A person's reply: threaded under her mail, to her, and not marked automatic.
    assert answer["To"] == ADA
    assert answer["From"] == "Acme Support <support@acme.test>"
    assert answer["Subject"] == "Re: Refund for order 4417"
    assert answer["In-Reply-To"] == "<ask-1@example.com>"
    assert answer["References"] == "<order-4417@shop.example> <ask-1@example.com>"
    assert "Auto-Submitted" not in answer
    assert "X-Auto-Response-Suppress" not in answer
    assert answer["Message-ID"] not in (ack["Message-ID"], asked["Message-ID"])
    eventually(lambda: delivery_of(client, reply) == ("sent", str(answer["Message-ID"])))
    (notice,) = eventually(lambda: mails_saying(smtp, CLAIMED))
    assert notice["In-Reply-To"] == "<ask-1@example.com>"
    assert notice["Auto-Submitted"] == "auto-generated"  # a notice, not a person writing
    # The acknowledgement, the notice that Sam joined, his reply: all to her alone.
    assert smtp.recorder.envelopes == [("support@acme.test", [ADA])] * 3

    # She answers Sam's mail; it appears in the card's thread, and the bot stays quiet.
    thanks = mail(
        "Thank you, Sam!",
        subject=f"Re: {asked['Subject']}",
        message_id="<thanks-1@example.com>",
        in_reply_to=str(answer["Message-ID"]),
        references=f"{answer['References']} {answer['Message-ID']}",
    )
    landed_again = mail_in(client, thanks)
    assert landed_again["conversation_id"] == landed["conversation_id"]
    assert landed_again["answered"] is False
    eventually(lambda: in_thread(standin, thread, "*Customer:* Thank you, Sam!"))
    rows = conversation_rows(client)
    assert rows[-1] == ("in", "customer", "Thank you, Sam!", None)
    assert ("out", "agent", reply, sam) in rows
