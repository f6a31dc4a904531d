"""Intents answered by an action: the action named for the intent runs with the
conversation's slots and the caller's context, its texts are the replies, and the slots
it sets (an offer of a person, an offered form) shape the next turn."""

from __future__ import annotations

import pytest

from actions.context import CHANNEL, CONVERSATION_ID, CUSTOMER_ID, IDENTITY_VERIFIED, OFFER_REASON
from actions.domain import OPEN_TICKET_FORM, ask_text
from actions.handoff import HANDOFF_REASON
from bot.conversation.forms import ACTIVE_LOOP, REQUESTED_SLOT, STOP_HINT
from bot.conversation.support_dialogue import SupportDialogue
from tests.support.dialogue_chat import (
    ANONYMOUS_VISITOR,
    CARRIER_NUMBER,
    MAIL_FROM_ADDRESS_ON_FILE,
    MAIL_FROM_ANOTHER_ADDRESS,
    NO_IDENTITY,
    SIGNED_IN_VISITOR,
    STAFF_IN_SLACK,
    Caller,
    Chat,
    entity,
)
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase, passage


@pytest.mark.parametrize(
    ("intent", "action", "text"),
    [
        ("order_status", "action_order_status", "any news on the delivery"),
        ("ticket_status", "action_ticket_status", "what's happening with the case"),
        ("opt_out", "action_opt_out", "stop texting me"),
        ("opt_in", "action_opt_in", "sign me up for texts again"),
    ],
)
async def test_an_action_intent_the_help_centre_does_not_answer_runs_its_action(
    dialogue: SupportDialogue,
    knowledge: ScriptedKnowledgeBase,
    actions: RecordingActions,
    intent: str,
    action: str,
    text: str,
) -> None:
    actions.will_answer(action, "First line.", "Second line.")

    replies = await Chat(dialogue).say(text, intent, 0.87654)

    assert actions.ran == [action]
    assert [(r.text, r.intent, r.confidence) for r in replies] == [
        ("First line.", intent, 0.8765),
        ("Second line.", intent, 0.8765),
    ]
    assert knowledge.queries == [text]  # the router weighs the articles too
    assert replies[0].attributes["route"]["decision"] == "action"
    assert replies[0].attributes["route"]["action"] == action


async def test_an_account_summary_runs_in_slack_or_when_asked_for_in_so_many_words(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    await Chat(dialogue, STAFF_IN_SLACK).say("how is Acme doing", "account_summary", 0.95)
    await Chat(dialogue).say("whats the point of having an account", "account_summary", 0.8)
    assert actions.ran == ["action_account_summary"]  # the second went to the help centre

    # A customer asking outright: the action refuses (tests/bot/test_support_actions.py).
    await Chat(dialogue).say("account summary for Acme please", "account_summary", 0.95)
    assert actions.ran == ["action_account_summary"] * 2


async def test_a_greeting_runs_the_greeting_action(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer("action_greet", "Hi Ada!")

    (reply,) = await Chat(dialogue).say("hello", "greet", 0.9)

    assert actions.ran == ["action_greet"]
    assert (reply.text, reply.intent) == ("Hi Ada!", "greet")
    assert reply.attributes["route"]["decision"] == "small_talk"


@pytest.mark.parametrize("text", ["good morning team", "hey, how are you?", "Hiii"])
async def test_a_greeting_the_nlu_reads_counts_when_it_opens_the_message(
    dialogue: SupportDialogue, actions: RecordingActions, text: str
) -> None:
    (reply,) = await Chat(dialogue).say(text, "greet", 0.99)

    assert reply.attributes["route"]["rule"] == "small_talk_greet"


async def test_a_greeting_word_inside_a_request_is_not_a_greeting(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    (reply,) = await Chat(dialogue).say("translate hello into japanese", "greet", 0.99)

    assert actions.ran == []
    assert reply.attributes["route"]["decision"] == "fallback"


async def test_a_question_announced_gets_asked_for(dialogue: SupportDialogue) -> None:
    (reply,) = await Chat(dialogue).say("Hi, I have a question about my order", "order_status")

    assert reply.text == "Sure, go ahead: what would you like to know?"
    assert reply.attributes["route"]["rule"] == "small_talk_question_announced"


async def test_small_talk_the_nlu_reads_gives_way_to_an_article_that_answers_outright(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage("Pay in 4 splits the cost.", 0.92, source="https://h/pay-in-4")]

    (reply,) = await Chat(dialogue).say("buy now pay later?", "goodbye", 0.82)

    assert reply.attributes["route"]["decision"] == "answer"


@pytest.mark.parametrize("intent", ["opt_out", "opt_in"])
async def test_consent_confirmations_are_marked_to_reach_an_opted_out_address(
    dialogue: SupportDialogue, intent: str
) -> None:
    (reply,) = await Chat(dialogue).say("please stop texting me", intent, 0.95)

    assert reply.attributes["consent_notice"] is True


async def test_other_action_replies_carry_no_consent_notice(dialogue: SupportDialogue) -> None:
    (reply,) = await Chat(dialogue).say("where is order 4417?", "order_status", 0.95)

    assert "consent_notice" not in reply.attributes


async def test_the_action_gets_the_message_slots_and_the_callers_context(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    text = "where is my order 4417?"
    chat = Chat(dialogue, CARRIER_NUMBER)
    chat.slots = {"last_ticket_number": "T-1001"}

    await chat.say(text, "order_status", 0.97, entities=[entity("order_number", "4417", text)])

    (run,) = actions.runs
    assert run.slots == {"last_ticket_number": "T-1001"}
    assert run.context[CUSTOMER_ID] == 1 and run.context[CONVERSATION_ID] == 7
    assert (run.context[CHANNEL], run.context[IDENTITY_VERIFIED]) == ("sms", True)
    assert (run.candidates, run.active_loop) == (None, None)


async def test_a_greeting_that_names_an_order_looks_the_order_up(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    # The NLU reads "hey ..." as a greeting; a message that names an order is not small talk.
    text = "hey has 4417 left yet"
    chat = Chat(dialogue, CARRIER_NUMBER)

    # the shipped NLU tags no entity in a bare number: the number itself is enough
    (reply,) = await chat.say(text, "greet", 0.89)

    assert actions.ran == ["action_order_status"]
    assert reply.attributes["route"]["decision"] == "action"


@pytest.mark.parametrize(
    ("caller", "verified"),
    [
        (SIGNED_IN_VISITOR, True),
        (CARRIER_NUMBER, True),
        (MAIL_FROM_ADDRESS_ON_FILE, True),
        (ANONYMOUS_VISITOR, False),
        (MAIL_FROM_ANOTHER_ADDRESS, False),
        (NO_IDENTITY, False),
    ],
)
async def test_actions_are_told_whether_the_channel_proved_who_this_is(
    dialogue: SupportDialogue, actions: RecordingActions, caller: Caller, verified: bool
) -> None:
    await Chat(dialogue, caller).say("my tickets", "ticket_status", 0.9)

    assert actions.runs[0].context[IDENTITY_VERIFIED] is verified


async def test_an_action_that_offers_a_person_makes_yes_hand_over(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer(
        "action_order_status",
        "For your privacy I can only share order details once I know it's you.",
        offer_reason="customer_asked",
    )
    chat = Chat(dialogue, ANONYMOUS_VISITOR)

    await chat.say("where is order 4417?", "order_status", 0.96)
    assert chat.slots[OFFER_REASON] == "customer_asked"
    await chat.say("yes", "affirm", 0.97)

    assert actions.ran == ["action_order_status", "action_handoff"]
    assert actions.runs[1].slots[HANDOFF_REASON] == "customer_asked"


async def test_an_action_that_offers_a_form_makes_yes_start_it(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer(
        "action_order_status",
        "Order 5120 is delayed. Shall I open a ticket about it?",
        offered_form=OPEN_TICKET_FORM,
    )
    chat = Chat(dialogue)

    await chat.say("where is order 5120?", "order_status", 0.96)
    (ask,) = await chat.texts("yes", "affirm")

    assert ask == f"{ask_text('ticket_subject')} {STOP_HINT}"
    assert (chat.slots[ACTIVE_LOOP], chat.slots[REQUESTED_SLOT]) == (
        OPEN_TICKET_FORM,
        "ticket_subject",
    )
    assert actions.ran == ["action_order_status"]  # asking is not an action


async def test_an_offer_is_forgotten_after_the_next_message(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    actions.will_answer(
        "action_order_status", "Shall I open a ticket?", offered_form=OPEN_TICKET_FORM
    )
    chat = Chat(dialogue)
    await chat.say("where is order 5120?", "order_status", 0.96)
    await chat.say("thanks", "thanks", 0.99)

    await chat.say("yes", "affirm", 0.97)

    assert actions.ran == ["action_order_status"] and ACTIVE_LOOP not in chat.slots


@pytest.mark.parametrize(
    ("intent", "text", "reply"),
    [
        ("thanks", "thanks!", "You're welcome! Anything else I can do?"),
        ("goodbye", "bye", "Goodbye, and thanks for getting in touch."),
    ],
)
async def test_small_talk_is_answered_without_an_action(
    dialogue: SupportDialogue, actions: RecordingActions, intent: str, text: str, reply: str
) -> None:
    assert await Chat(dialogue).texts(text, intent) == [reply]
    assert actions.ran == []


async def test_with_nlu_off_a_greeting_still_runs_the_greeting_action(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    await Chat(dialogue).say("hello")

    assert actions.ran == ["action_greet"]
