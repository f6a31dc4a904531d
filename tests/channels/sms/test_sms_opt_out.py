"""Opt-out law: STOP is recorded and confirmed once, then nothing else reaches the number
(bot, agent or campaign), enforced by the delivery worker; START and YES opt back in."""

from __future__ import annotations

import re

from sqlalchemy import select

from crm_store import consents, history, outbox
from crm_store.models import Interaction
from crm_store.records import NewInteraction
from tests.support.sms_harness import CUSTOMER, SmsHarness

OPTED_OUT_ERROR = re.compile(
    r"^recipient opted out by SMS STOP at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"
)


def sent_bodies(sms: SmsHarness) -> list[str]:
    return [post.form["Body"] for post in sms.stand_in.accepted]


def consent_of(sms: SmsHarness, address: str = CUSTOMER) -> consents.ConsentRecord | None:
    with sms.services.database.transaction() as session:
        return consents.current_consent(session, "sms", address)


def enqueue_from(sms: SmsHarness, author: str, text: str) -> int:
    """An agent's or a campaign's message to the customer, written as they will be."""
    with sms.services.database.transaction() as session:
        conversation_id = session.scalars(select(Interaction.conversation_id).limit(1)).one()
        conversation = history.get_conversation(session, conversation_id)
        assert conversation is not None
        record = history.append(
            session,
            conversation,
            NewInteraction(direction="out", author=author, text=text, delivery_status="pending"),
        )
        outbox.enqueue(
            session,
            interaction_id=record.id,
            conversation_id=conversation.id,
            channel="sms",
            address=CUSTOMER,
            payload=outbox.payload_for(record),
        )
        return record.id


async def test_stop_then_nothing_but_the_confirmation_is_sent(sms: SmsHarness) -> None:
    await sms.text("hello", "SM-1")  # the bot's reply waits in the outbox...
    await sms.text("  Stop ", "SM-2")  # ...when the customer opts out
    await sms.deliver()

    assert sent_bodies(sms) == [
        "You are unsubscribed and will get no more messages from us. "
        "Reply START to subscribe again."
    ]
    consent = consent_of(sms)
    assert consent is not None and consent.status == "opted_out" and consent.source == "SMS STOP"
    assert consent.customer_id is not None
    blocked = sms.outbox()[0]
    assert blocked.status == "failed" and OPTED_OUT_ERROR.match(blocked.last_error or "")
    reply = sms.interaction(blocked.interaction_id)
    assert reply.delivery_status == "opted_out"
    assert reply.attributes["delivery_error"] == blocked.last_error  # what an agent sees
    assert sms.dialogue.turns[0].message.text == "hello"  # type: ignore[attr-defined]
    assert len(sms.dialogue.turns) == 1  # type: ignore[attr-defined]  (no NLU on STOP)

    # Afterwards: the bot's answer, an agent's reply and a campaign all stop at delivery.
    await sms.text("are you still there?", "SM-3")
    agent_reply = enqueue_from(sms, "agent", "Hi, Sam from support here.")
    campaign = enqueue_from(sms, "system", "Our spring sale starts today!")
    await sms.deliver()
    assert len(sms.stand_in.posts) == 1
    for row in sms.outbox()[2:]:
        assert row.status == "failed" and OPTED_OUT_ERROR.match(row.last_error or "")
    assert sms.interaction(agent_reply).delivery_status == "opted_out"
    assert sms.interaction(campaign).delivery_status == "opted_out"


async def test_every_opt_out_word_is_recorded(sms: SmsHarness) -> None:
    for i, word in enumerate(["STOPALL", "unsubscribe", "Cancel", "end", "QUIT"]):
        number = f"+1415555020{i}"
        await sms.text(f" {word} ", f"SM-{i}", sender=number)
        consent = consent_of(sms, number)
        assert consent is not None and consent.status == "opted_out"
        assert consent.source == f"SMS {word.upper()}"
    await sms.deliver()
    assert len(sms.stand_in.accepted) == 5  # one confirmation each
    assert sms.dialogue.turns == []  # type: ignore[attr-defined]


async def test_start_restores_messages(sms: SmsHarness) -> None:
    for sid, text in [("SM-1", "STOP"), ("SM-2", "start"), ("SM-3", "hello")]:
        await sms.text(text, sid)
        await sms.deliver()
    assert sent_bodies(sms) == [
        "You are unsubscribed and will get no more messages from us. "
        "Reply START to subscribe again.",
        "You are subscribed again. Reply HELP for help or STOP to unsubscribe.",
        "Hello from the bot",
    ]
    consent = consent_of(sms)
    assert consent is not None and consent.status == "opted_in" and consent.source == "SMS START"


async def test_yes_opts_in_only_a_number_that_opted_out(sms: SmsHarness) -> None:
    await sms.text("yes", "SM-1")  # an answer to the bot, not a keyword
    assert [turn.message.text for turn in sms.dialogue.turns] == ["yes"]  # type: ignore[attr-defined]
    assert consent_of(sms) is None
    await sms.text("STOP", "SM-2")
    await sms.text("YES", "SM-3")
    consent = consent_of(sms)
    assert consent is not None and consent.status == "opted_in" and consent.source == "SMS YES"
    assert len(sms.dialogue.turns) == 1  # type: ignore[attr-defined]


async def test_a_twilio_retry_of_an_old_stop_does_not_undo_a_later_start(
    sms: SmsHarness,
) -> None:
    await sms.text("STOP", "SM-1")
    await sms.text("START", "SM-2")
    await sms.text("STOP", "SM-1")  # Twilio retries the first webhook
    consent = consent_of(sms)
    assert consent is not None and consent.status == "opted_in"
    await sms.deliver()
    assert len(sms.stand_in.accepted) == 2  # one confirmation each, none for the retry


async def test_help_answers_with_the_company_help_text_even_after_stop(sms: SmsHarness) -> None:
    for sid, text in [("SM-1", "HELP"), ("SM-2", "STOP"), ("SM-3", "help")]:
        await sms.text(text, sid)
        await sms.deliver()
    help_text = "Acme support: text us your question. STOP to opt out."
    assert sent_bodies(sms)[0] == help_text and sent_bodies(sms)[2] == help_text
    assert sms.dialogue.turns == []  # type: ignore[attr-defined]
    with sms.services.database.transaction() as session:
        intents = session.scalars(
            select(Interaction.intent).where(Interaction.direction == "out")
        ).all()
    assert intents == ["preset", "preset", "preset"]


async def test_twilio_21610_records_the_opt_out_and_nothing_more_is_tried(
    sms: SmsHarness,
) -> None:
    sms.stand_in.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    await sms.text("hello", "SM-1")
    await sms.deliver()
    consent = consent_of(sms)
    assert consent is not None and consent.status == "opted_out"
    assert consent.source == "Twilio error 21610 (recipient unsubscribed)"
    [row] = sms.outbox()
    assert row.status == "failed" and row.attempts == 1
    assert "unsubscribed recipient" in (row.last_error or "")
    assert sms.interaction(row.interaction_id).delivery_status == "opted_out"

    await sms.text("hello again", "SM-2")
    await sms.deliver()
    assert len(sms.stand_in.posts) == 1  # the second reply never reached Twilio
    assert re.match(
        r"^recipient opted out by Twilio error 21610 \(recipient unsubscribed\) at ",
        sms.outbox()[1].last_error or "",
    )
