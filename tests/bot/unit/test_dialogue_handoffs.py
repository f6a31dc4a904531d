"""Asking for a person hands over at once; an angry complaint gets an offer of one first.
Either way the handoff is `action_handoff`, told why."""

from __future__ import annotations

import pytest

from actions.context import OFFER_REASON
from actions.handoff import HANDOFF_REASON
from bot.conversation.support_dialogue import OFFER_FOR_COMPLAINT, SupportDialogue
from knowledge import FALLBACK_TEXT
from tests.support.dialogue_chat import Chat
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase, passage

PASSING = "I'm passing you to a person. They can see this conversation."


async def test_asking_for_a_person_hands_over_at_once(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    actions.will_answer("action_handoff", PASSING, handoff_id=12)
    chat = Chat(dialogue)

    (reply,) = await chat.say("I want to talk to a human", "talk_to_human", 0.99)

    assert actions.ran == ["action_handoff"]
    assert actions.runs[0].slots[HANDOFF_REASON] == "customer_asked"
    assert (reply.text, reply.intent, reply.confidence) == (PASSING, "talk_to_human", 1.0)
    assert reply.attributes["handoff_id"] == 12
    assert reply.attributes["route"]["decision"] == "handover"
    assert HANDOFF_REASON not in chat.slots  # the reason travels with the call only
    assert knowledge.queries == []


@pytest.mark.parametrize("understood", [None, "nlu_fallback"])
async def test_a_request_for_a_person_is_heard_when_nlu_is_off_or_unsure(
    dialogue: SupportDialogue, actions: RecordingActions, understood: str | None
) -> None:
    await Chat(dialogue).say("can I speak to a real person", understood, 0.3)

    assert actions.ran == ["action_handoff"]


async def test_a_handoff_without_an_id_carries_no_handoff_attribute(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer("action_handoff", "Our team is away; we'll write back by 9am.")

    (reply,) = await Chat(dialogue).say("a person please", "talk_to_human", 0.97)

    assert "handoff_id" not in reply.attributes


async def test_an_angry_complaint_is_offered_a_person_and_yes_hands_over(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    actions.will_answer("action_handoff", PASSING, handoff_id=4)
    chat = Chat(dialogue)

    (offer,) = await chat.say("This is unacceptable, my parcel is lost again", "complaint", 0.91)
    assert (offer.text, offer.intent, offer.confidence) == (OFFER_FOR_COMPLAINT, "complaint", 0.91)
    assert chat.slots[OFFER_REASON] == "complaint"
    assert actions.ran == []
    assert knowledge.queries == ["This is unacceptable, my parcel is lost again"]

    (handed,) = await chat.say("yes", "affirm", 0.98)
    assert handed.text == PASSING
    assert actions.runs[0].slots[HANDOFF_REASON] == "complaint"


async def test_shouting_counts_as_angry(dialogue: SupportDialogue) -> None:
    (offer,) = await Chat(dialogue).say("THIS IS THE WORST SERVICE EVER", "complaint", 0.9)

    assert offer.text == OFFER_FOR_COMPLAINT


async def test_a_calm_complaint_goes_to_the_knowledge_base_and_is_offered_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    knowledge.passages = [passage("Damaged items are replaced free of charge.", 0.3)]
    chat = Chat(dialogue)

    (reply,) = await chat.say("my mug arrived chipped", "complaint", 0.9)

    assert knowledge.queries == ["my mug arrived chipped"]
    assert reply.text.startswith("I'm sorry to hear that. I can't put it right from this chat.")
    assert reply.text.endswith("If you'd like a person to help, just say so.")
    assert reply.text != FALLBACK_TEXT
    assert chat.slots[OFFER_REASON] == "complaint" and actions.ran == []


async def test_a_calm_complaint_the_knowledge_base_answers_gets_the_answer(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage("Damaged items are replaced free of charge.", 0.77)]
    chat = Chat(dialogue)

    (reply,) = await chat.say("my mug arrived chipped", "complaint", 0.9)

    assert reply.text.startswith("Damaged items are replaced free of charge.")
    assert chat.slots[OFFER_REASON] == "complaint"  # a "yes" next still reaches a person
