"""A contact change proven by a code sent to the new address, through the real form
loop and outbox (the code goes out as a logged system message on the new channel)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from actions.executor import build_executor
from bot.conversation.action_runner import ActionRunner
from bot.conversation.dialogue import Turn, Understanding
from bot.conversation.forms import FormLoop
from crm_store import Database, customers, history
from crm_store.models import Customer, Identity, OutboxMessage
from crm_store.records import InteractionRecord


def turn_for(database: Database, text: str, slots: dict[str, object], entities=None) -> Turn:  # type: ignore[no-untyped-def]
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(
            session, "sms", "+14155550101", name="Ada", phone="+14155550101", verified=True
        )
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="sms"
        )
    message = InteractionRecord(
        id=1,
        conversation_id=conversation.id,
        customer_id=customer.id,
        seq=1,
        direction="in",
        author="customer",
        channel="sms",
        text=text,
        provider_message_id=None,
        intent=None,
        confidence=None,
        sources=[],
        in_reply_to_id=None,
        delivery_status=None,
        attributes={},
        created_at=datetime.now(UTC),
    )
    understanding = Understanding("update_contact", 0.9, entities or [])
    return Turn(customer, conversation, message, [], understanding, identity=identity, slots=slots)


def sent_code(database: Database) -> str:
    with database.transaction() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert row is not None and row.channel == "email" and row.address == "ada.new@example.com"
    found = re.search(r"\b(\d{6})\b", row.payload["text"])
    assert found is not None
    return found.group(1)


async def test_the_code_sent_to_the_new_email_changes_it(database: Database) -> None:
    runner = ActionRunner(build_executor(database, verifiable_channels=frozenset({"email"})))
    forms = FormLoop(runner)
    slots: dict[str, object] = {}
    email = [{"entity": "email", "value": "ada.new@example.com", "start": 0, "end": 1}]

    asked = await forms.start(
        turn_for(database, "change my email to ada.new@example.com", slots, email), "contact_form"
    )
    assert [r.text for r in asked] == [
        "I've sent a 6-digit code to ada.new@example.com.",
        "Please type the code here when it arrives. (Say cancel to stop.)",
    ]
    code = sent_code(database)
    wrong = "000000" if code != "000000" else "111111"
    retry = await forms.advance(turn_for(database, wrong, slots))
    assert [r.text for r in retry] == [
        "That code doesn't match. Please check it and try again. (Say cancel to stop.)"
    ]
    done = await forms.advance(turn_for(database, f"it's {code}", slots))
    assert [r.text for r in done] == ["Done: your email address is now ada.new@example.com."]
    assert "active_loop" not in slots

    with database.transaction() as session:
        ada = session.scalars(select(Customer)).one()
        new_identity = session.scalars(select(Identity).where(Identity.channel == "email")).one()
    assert ada.email == "ada.new@example.com" and new_identity.verified


async def test_three_wrong_codes_stop_the_change(database: Database) -> None:
    tries = 3
    runner = ActionRunner(build_executor(database, verifiable_channels=frozenset({"email"})))
    forms = FormLoop(runner)
    slots: dict[str, object] = {}
    email = [{"entity": "email", "value": "ada.new@example.com", "start": 0, "end": 1}]
    await forms.start(turn_for(database, "ada.new@example.com", slots, email), "contact_form")
    code = sent_code(database)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(tries - 1):
        await forms.advance(turn_for(database, wrong, slots))
    last = await forms.advance(turn_for(database, wrong, slots))
    assert last[0].text.startswith("That code didn't work, so I've stopped the change.")
    assert "active_loop" not in slots
    with database.transaction() as session:
        ada = session.scalars(select(Customer).where(Customer.phone == "+14155550101")).one()
        holder = customers.find_identity(session, "email", "ada.new@example.com")
    assert ada.email is None
    # The address stays with a blank holding record, not with Ada: whoever really reads
    # that mailbox is not taken for her.
    assert holder is not None and holder.customer_id != ada.id


async def test_an_unconfirmed_number_never_leads_to_the_customer(database: Database) -> None:
    runner = ActionRunner(build_executor(database, verifiable_channels=frozenset({"sms"})))
    forms = FormLoop(runner)
    slots: dict[str, object] = {}
    phone = [{"entity": "phone", "value": "+14155550199", "start": 0, "end": 1}]
    asked = await forms.start(turn_for(database, "+1 415 555 0199", slots, phone), "contact_form")
    assert asked[0].text == "I've sent a 6-digit code to +14155550199."
    # Ada never types the code. The number's real owner texts in (the carrier proves it):
    with database.transaction() as session:
        stranger, _ = customers.resolve_identity(
            session, "sms", "+14155550199", phone="+14155550199", verified=True
        )
        ada = customers.find_identity(session, "sms", "+14155550101")
    assert ada is not None and stranger.id != ada.customer_id
    assert stranger.name is None and stranger.email is None
