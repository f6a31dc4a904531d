"""Forms as Rasa's form loop runs them: the requested slot is asked, the next message
fills it, the form's validation action checks it, and the submit action runs once every
slot is filled. "cancel" or "stop" alone stops a form; a short request for a person
leaves it for one. Changing contact details needs a caller the channel verified."""

from __future__ import annotations

import pytest

from actions.context import OFFER_REASON
from actions.domain import CONTACT_FORM, LEAD_FORM, OPEN_TICKET_FORM, ask_text
from actions.handoff import HANDOFF_REASON
from bot.conversation.forms import ACTIVE_LOOP, CANCELLED, FORM_MISSES, REQUESTED_SLOT, STOP_HINT
from bot.conversation.support_dialogue import CONTACT_NEEDS_VERIFIED, SupportDialogue
from tests.support.dialogue_chat import (
    ANONYMOUS_VISITOR,
    CARRIER_NUMBER,
    MAIL_FROM_ANOTHER_ADDRESS,
    Caller,
    Chat,
    entity,
)
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase

TOO_SHORT = "A little more detail helps us fix it faster: what happened?"


def asked(slot: str) -> str:
    """A form's question as the customer reads it: with how to stop."""
    return f"{ask_text(slot)} {STOP_HINT}"


async def ticket_form(dialogue: SupportDialogue) -> Chat:
    chat = Chat(dialogue)
    await chat.say("I want to open a ticket", "open_ticket", 0.96)
    return chat


async def test_opening_a_ticket_asks_for_the_subject_first(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)

    (ask,) = await chat.say("I want to open a ticket", "open_ticket", 0.96)

    assert (ask.text, ask.intent, ask.confidence) == (
        asked("ticket_subject"),
        OPEN_TICKET_FORM,
        1.0,
    )
    assert chat.slots == {
        "ticket_subject": None,
        "ticket_description": None,
        ACTIVE_LOOP: OPEN_TICKET_FORM,
        REQUESTED_SLOT: "ticket_subject",
        FORM_MISSES: 0,
    }
    assert actions.ran == []


async def test_each_answer_is_validated_then_the_ticket_is_filed(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    actions.will_answer("action_open_ticket", "Done: your ticket number is T-1001.")

    # Free text: whatever NLU made of an answer, the form takes it.
    assert await chat.texts("Broken zip", "complaint") == [asked("ticket_description")]
    assert chat.slots[REQUESTED_SLOT] == "ticket_description"
    assert await chat.texts("The zip broke on day two.", "nlu_fallback") == [
        "Done: your ticket number is T-1001."
    ]

    assert actions.ran == ["validate_open_ticket_form"] * 2 + ["action_open_ticket"]
    subject, description, submit = actions.runs
    assert (subject.candidates, subject.active_loop) == (
        {"ticket_subject": "Broken zip"},
        OPEN_TICKET_FORM,
    )
    assert description.candidates == {"ticket_description": "The zip broke on day two."}
    assert submit.slots["ticket_subject"] == "Broken zip"
    assert submit.slots["ticket_description"] == "The zip broke on day two."
    assert chat.slots == {}  # the form is over
    assert knowledge.queries == ["I want to open a ticket"]  # weighed once, not per answer


async def test_a_rejected_answer_is_asked_again_with_the_validations_reason(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    await chat.say("Broken zip", "nlu_fallback", 0.2)
    actions.will_answer("validate_open_ticket_form", TOO_SHORT, ticket_description=None)

    assert await chat.texts("bad", "nlu_fallback") == [
        f"{TOO_SHORT} {STOP_HINT}"
    ]  # not asked twice
    assert chat.slots[REQUESTED_SLOT] == "ticket_description"
    assert chat.slots["ticket_description"] is None
    assert "action_open_ticket" not in actions.ran


async def test_a_silent_rejection_is_asked_again_with_the_question(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    actions.will_answer("validate_open_ticket_form", ticket_subject=None)

    assert await chat.texts("?", "nlu_fallback") == [asked("ticket_subject")]


@pytest.mark.parametrize("text", ["cancel", "stop", "Stop please.", "never mind", "forget it"])
async def test_cancel_or_stop_alone_stops_the_form(
    dialogue: SupportDialogue, actions: RecordingActions, text: str
) -> None:
    chat = await ticket_form(dialogue)

    (reply,) = await chat.say(text, "deny", 0.8)

    assert (reply.text, reply.intent) == (CANCELLED, "form_cancelled")
    assert chat.slots == {} and actions.ran == []


async def test_an_answer_that_starts_with_stop_is_an_answer(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)

    await chat.say("Stop charging my card twice", "complaint", 0.9)

    assert actions.runs[0].candidates == {"ticket_subject": "Stop charging my card twice"}


async def test_a_short_request_for_a_person_leaves_the_form_for_a_handoff(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    actions.will_answer("action_handoff", "I'm passing you to a person.", handoff_id=3)

    (reply,) = await chat.say("a real person please", "talk_to_human", 0.9)

    assert reply.text == "I'm passing you to a person."
    assert actions.ran == ["action_handoff"]
    assert actions.runs[0].slots[HANDOFF_REASON] == "customer_asked"
    assert ACTIVE_LOOP not in actions.runs[0].slots  # the form was closed first
    assert chat.slots == {}


async def test_a_question_the_nlu_is_sure_asks_for_a_person_leaves_the_form(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    actions.will_answer("action_handoff", "I'm passing you to a person.", handoff_id=3)

    (reply,) = await chat.say("can a member of staff message me back", "talk_to_human", 0.97)

    assert reply.text == "I'm passing you to a person."
    assert actions.ran == ["action_handoff"]
    assert chat.slots == {}


async def test_a_statement_naming_a_person_stays_in_the_form_however_sure_the_nlu(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    text = "the delivery person left it in the rain at the gate"

    await chat.say(text, "talk_to_human", 0.95)

    assert actions.ran == ["validate_open_ticket_form"]


async def test_a_long_answer_mentioning_a_person_stays_in_the_form(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = await ticket_form(dialogue)
    text = "the delivery person left it in the rain at the gate"

    await chat.say(text, "talk_to_human", 0.6)

    assert actions.ran == ["validate_open_ticket_form"]
    assert actions.runs[0].candidates == {"ticket_subject": text}


@pytest.mark.parametrize("intent", ["pricing", "demo_request"])
async def test_sales_interest_starts_the_lead_form(
    dialogue: SupportDialogue, actions: RecordingActions, intent: str
) -> None:
    chat = Chat(dialogue, ANONYMOUS_VISITOR)

    assert await chat.texts("can I get a demo?", intent) == [asked("lead_name")]
    assert chat.slots[ACTIVE_LOOP] == LEAD_FORM and actions.ran == []


async def test_a_verified_customer_is_not_asked_for_the_name_and_email_on_file(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)  # signed in as Ada Lovelace, ada@example.com

    assert await chat.texts("we need a quote for 30 jackets", "pricing") == [asked("lead_company")]
    assert (chat.slots["lead_name"], chat.slots["lead_email"]) == (
        "Ada Lovelace",
        "ada@example.com",
    )


async def test_a_slot_with_an_entity_takes_the_entity_not_the_whole_message(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue, ANONYMOUS_VISITOR)
    await chat.say("we'd like a quote for our team", "pricing", 0.9)
    await chat.say("Lin Chen", "nlu_fallback", 0.3)
    text = "sure, it's lin@example.com"

    await chat.say(text, "inform", 0.8, entities=[entity("email", "lin@example.com", text)])

    assert actions.runs[-1].candidates == {"lead_email": "lin@example.com"}
    assert chat.slots[REQUESTED_SLOT] == "lead_company"


async def test_a_verified_caller_changing_contact_details_starts_the_form_with_the_address(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer(
        "validate_contact_form", "I've sent a code to ada@new.test.", new_contact="ada@new.test"
    )
    chat = Chat(dialogue, CARRIER_NUMBER)
    text = "change my email to ada@new.test"

    replies = await chat.texts(
        text, "update_contact", 0.93, entities=[entity("email", "ada@new.test", text)]
    )

    assert replies == ["I've sent a code to ada@new.test.", asked("verification_code")]
    assert actions.ran == ["validate_contact_form"]
    assert actions.runs[0].candidates == {"new_contact": "ada@new.test"}
    assert chat.slots[ACTIVE_LOOP] == CONTACT_FORM
    assert chat.slots[REQUESTED_SLOT] == "verification_code"


@pytest.mark.parametrize("caller", [ANONYMOUS_VISITOR, MAIL_FROM_ANOTHER_ADDRESS])
async def test_an_unverified_caller_is_told_how_to_prove_it_and_offered_a_person(
    dialogue: SupportDialogue, actions: RecordingActions, caller: Caller
) -> None:
    chat = Chat(dialogue, caller)

    (reply,) = await chat.say("change my email to ada@new.test", "update_contact", 0.93)

    assert (reply.text, reply.intent) == (CONTACT_NEEDS_VERIFIED, "update_contact")
    assert ACTIVE_LOOP not in chat.slots and actions.ran == []
    assert chat.slots[OFFER_REASON] == "update_contact"
    await chat.say("yes", "affirm", 0.97)
    assert actions.ran == ["action_handoff"]
    assert actions.runs[0].slots[HANDOFF_REASON] == "update_contact"
