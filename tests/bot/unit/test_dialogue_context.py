"""What the dialogue remembers and lets go of: follow-ups lean on the last question,
several questions get several answers, a clarifying question is answered by a number,
a form gives way to another question and offers to stop, and a language the help
centre does not cover gets a word in that language."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from actions.context import OFFER_REASON
from actions.domain import OPEN_TICKET_FORM, ask_text
from bot.conversation.forms import ACTIVE_LOOP, OFFER_TO_STOP, STOP_HINT
from bot.conversation.language_notice import handover_line
from bot.conversation.support_dialogue import (
    CLARIFY_INTRO,
    CUT_OFF,
    CUT_OFF_WAITS,
    GO_ON,
    SupportDialogue,
)
from knowledge import Passage
from tests.support.dialogue_chat import (
    ANONYMOUS_VISITOR,
    MAIL_FROM_ADDRESS_ON_FILE,
    SIGNED_IN_VISITOR,
    Caller,
    Chat,
    entity,
)
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase, passage

RETURNS = passage(
    "Return unworn items within 30 days.",
    0.8,
    title="Return policy",
    section="How long",
    source="https://help.acme.test/return-policy",
)
SHIPPING = passage(
    "Standard shipping is free over $75.",
    0.78,
    title="Shipping costs",
    section="Standard",
    source="https://help.acme.test/shipping-costs",
)
INTERNATIONAL = passage(
    "We ship to Canada in 7 to 14 days for $25.",
    0.7,
    title="International shipping",
    section="Canada",
    source="https://help.acme.test/international-shipping",
)


async def test_a_bare_number_after_an_order_answer_asks_about_that_order(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)
    text = "where is order 4417?"
    await chat.say(text, "order_status", 0.99, entities=[entity("order_number", "4417", text)])

    await chat.say("and 4418?", "nlu_fallback", 0.4)

    assert actions.ran == ["action_order_status", "action_order_status"]
    assert [(e["entity"], e["value"]) for e in actions.runs[1].entities] == [
        ("order_number", "4418")
    ]


async def test_the_search_leaves_out_record_numbers_but_keeps_dates(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "are your phone lines open on sunday" without "sunday" found the opening hours
    at 0.39 instead of 0.75."""
    chat = Chat(dialogue, ANONYMOUS_VISITOR)
    day = "are your phone lines open on sunday"
    order = "can i return order 4417 in a store"

    await chat.say(day, "knowledge_question", 0.9, entities=[entity("date", "sunday", day)])
    await chat.say(
        order, "knowledge_question", 0.9, entities=[entity("order_number", "4417", order)]
    )

    assert knowledge.queries == [day, "can i return order in a store"]


async def test_a_follow_up_question_is_read_with_the_last_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    weak = passage("Standard shipping is free over $75.", 0.3, source=SHIPPING.source)
    knowledge.by_words = {"free? what about to canada": [INTERNATIONAL], "canada": [weak],
                          "ship": [SHIPPING]}  # fmt: skip
    chat = Chat(dialogue)
    await chat.say("do you ship for free?", "knowledge_question", 0.9)

    (reply,) = await chat.say("what about to Canada?", "knowledge_question", 0.9)

    assert knowledge.queries[-1] == "do you ship for free? what about to Canada?"
    assert reply.attributes["route"]["articles"] == ["international-shipping"]


def hit(name: str, similarity: float) -> Passage:
    """The best passage of the article `name`, found at `similarity`."""
    return passage(name, similarity, title=name, source=f"https://help.acme.test/{name}")


async def test_a_follow_up_only_probable_alone_weighs_both_readings(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """Alone, "what about a waterproof one?" is probably about materials; read with the
    last question it is about down jackets again. Weighed by both, it is waterproof
    care, the article neither reading put first alone. (The last question names no
    "my ..." or "a ..." the follow-up could stand in for, so it is not asked again.)"""

    knowledge.by_words = {
        "jackets what about": [hit("down", 0.75), hit("waterproof", 0.74),
                               hit("materials", 0.45)],
        "waterproof": [hit("materials", 0.49), hit("waterproof", 0.44), hit("sizes", 0.2)],
        "wash": [hit("down", 0.85)],
    }  # fmt: skip
    chat = Chat(dialogue)
    await chat.say("how do i wash down jackets", "knowledge_question", 0.9)

    (reply,) = await chat.say("what about a waterproof one?", "nlu_fallback", 0.9)

    assert reply.attributes["route"]["articles"] == ["waterproof"]
    assert knowledge.queries[-1] == "how do i wash down jackets what about a waterproof one?"


async def test_a_follow_up_answered_alone_still_weighs_the_last_question(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "and if I paid with a gift card?" after asking how long refunds take: alone it
    finds gift cards, above the threshold; read with the last question it is about
    refunds onto a gift card, and that article wins when both readings count."""

    knowledge.by_words = {
        "timing? and": [hit("gift-card-refunds", 0.72), hit("refunds", 0.66),
                        hit("gift-cards", 0.5)],
        "gift card": [hit("gift-cards", 0.7), hit("gift-card-refunds", 0.62)],
        "refund timing": [hit("refunds", 0.8)],
    }  # fmt: skip
    chat = Chat(dialogue)
    await chat.say("refund timing?", "knowledge_question", 0.9)

    (reply,) = await chat.say("and if i paid with a gift card?", "knowledge_question", 0.9)

    assert reply.attributes["route"]["articles"] == ["gift-card-refunds"]
    assert knowledge.queries[-1] == "refund timing? and if i paid with a gift card?"


async def test_a_short_message_answered_alone_is_read_with_the_last_question(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "the email never came" after a forgotten password: alone it finds the order
    confirmation email; with the last question, the password reset email."""

    knowledge.by_words = {
        "password the email": [hit("reset-password", 0.75), hit("order-email", 0.5)],
        "email never came": [hit("order-email", 0.62), hit("reset-password", 0.58)],
        "password": [hit("reset-password", 0.8)],
    }
    chat = Chat(dialogue)
    await chat.say("I can't remember my password", "knowledge_question", 0.9)

    (reply,) = await chat.say("the email never came", "knowledge_question", 0.9)

    assert reply.attributes["route"]["articles"] == ["reset-password"]


async def test_a_short_new_question_answered_alone_is_not_read_with_the_last_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "do you take amex" after the return window: short, but nothing in it leans on the
    last question, and read with it the returns topic won (returns on Pay in 4)."""

    knowledge.by_words = {
        "window do you": [hit("pay-in-4", 0.75), hit("payment-methods", 0.5)],
        "take amex": [hit("payment-methods", 0.62), hit("pay-in-4", 0.58)],
        "window": [hit("return-policy", 0.8)],
    }
    chat = Chat(dialogue)
    await chat.say("whats the return window", "knowledge_question", 0.9)

    (reply,) = await chat.say("do you take amex", "knowledge_question", 0.9)

    assert reply.attributes["route"]["articles"] == ["payment-methods"]


async def test_one_question_of_several_answered_alone_is_not_read_with_the_one_before(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "whats the warranty on backpacks and do you do repairs": the second question is
    clear alone, and the first is answered in the same reply."""

    knowledge.by_words = {
        "backpacks do you": [hit("warranty", 0.8), hit("damaged", 0.7), hit("repairs", 0.4)],
        "repairs": [hit("repairs", 0.62), hit("warranty", 0.5)],
        "warranty": [hit("warranty", 0.8), hit("repairs", 0.5)],
    }
    chat = Chat(dialogue)

    (reply,) = await chat.say(
        "whats the warranty on backpacks and do you do repairs", "knowledge_question", 0.9
    )

    assert reply.attributes["route"]["articles"] == ["warranty", "repairs"]


async def test_a_question_pointing_back_at_the_one_before_is_read_with_it(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "does the down jacket run small, and how do i wash it": alone, "how do i wash
    it" is only probably waterproof care; read with the first question it is down
    care. The first question's own article (size) does not count for the second."""

    knowledge.by_words = {
        "small how": [hit("size", 0.6), hit("down", 0.55), hit("waterproof", 0.4)],
        "wash it": [hit("waterproof", 0.46), hit("down", 0.45)],
        "run small": [hit("size", 0.74), hit("down", 0.47)],
    }
    chat = Chat(dialogue)

    (reply,) = await chat.say(
        "does the down jacket run small, and how do i wash it", "knowledge_question", 0.9
    )

    assert reply.attributes["route"]["articles"] == ["size", "down"]


async def test_a_question_pointing_back_that_finds_nothing_alone_is_read_with_the_first(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "do you take paypal? is there a fee for that": alone, the fee question found
    nothing (Pay in 4's fees, below the probable zone); read with the first it is the
    PayPal section again, never Pay in 4 for want of another article."""

    knowledge.by_words = {
        "paypal? is there": [hit("payment-methods", 0.62), hit("pay-in-4", 0.5)],
        "fee for that": [hit("pay-in-4", 0.40)],
        "paypal": [hit("payment-methods", 0.75)],
    }
    chat = Chat(dialogue)

    (reply,) = await chat.say(
        "do you take paypal? is there a fee for that", "knowledge_question", 0.9
    )

    assert reply.attributes["route"]["articles"] == ["payment-methods"]


async def test_a_question_pointing_back_but_answered_outright_alone_stays_alone(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "can i cancel my order? if not how do i return it": the return question is
    answered alone; read with the cancelling, refunds had come first."""

    knowledge.by_words = {
        "order? how": [hit("cancel", 0.7), hit("refunds", 0.62), hit("start-return", 0.5)],
        "return it": [hit("start-return", 0.6), hit("refunds", 0.58)],
        "cancel": [hit("cancel", 0.8)],
    }
    chat = Chat(dialogue)

    (reply,) = await chat.say(
        "can i cancel my order? if not how do i return it", "knowledge_question", 0.9
    )

    assert reply.attributes["route"]["articles"] == ["cancel", "start-return"]


async def test_a_message_cut_off_mid_sentence_is_read_with_the_next_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    """ "where is my", then "order": the half alone found the store addresses. Read
    whole, a signed-in customer asking about their order gets their orders."""
    knowledge.by_words = {"where is my order": [hit("track-your-order", 0.7)]}
    knowledge.passages = [hit("stores-and-addresses", 0.45)]
    chat = Chat(dialogue)

    assert await chat.texts("where is my", "knowledge_question", 0.6) == [GO_ON]
    (reply,) = await chat.say("order", "order_status", 0.7)

    assert actions.ran == ["action_order_status"]
    assert reply.attributes["route"]["read_as"] == "where is my order"
    assert CUT_OFF not in chat.slots


async def test_a_cut_off_request_for_a_person_hands_over_at_once(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    (reply,) = await Chat(dialogue).say(
        "I want to talk to a real person about my", "talk_to_human", 0.99
    )

    assert reply.text != GO_ON and actions.ran == ["action_handoff"]


async def test_a_cut_off_reply_to_an_offer_keeps_the_offer(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)
    await chat.say("This is unacceptable, my parcel is lost again", "complaint", 0.91)

    (reply,) = await chat.say("yes and", "nlu_fallback", 0.4)
    await chat.say("please do", "affirm", 0.9)

    assert reply.text != GO_ON
    assert actions.ran == ["action_handoff"]


async def test_a_cut_off_message_after_an_offer_keeps_the_offer_open(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)
    await chat.say("This is unacceptable, my parcel is lost again", "complaint", 0.91)

    assert await chat.texts("where is my", "knowledge_question", 0.6) == [GO_ON]
    assert chat.slots[OFFER_REASON] == "complaint"


@pytest.mark.parametrize(
    ("caller", "language"),
    [(MAIL_FROM_ADDRESS_ON_FILE, None), (SIGNED_IN_VISITOR, "de")],
    ids=["mail", "german"],
)
async def test_mail_and_other_languages_are_never_taken_for_cut_off(
    dialogue: SupportDialogue, caller: Caller, language: str | None
) -> None:
    text = "Hallo, wann kommt mein Paket an" if language else "I have a question about the"
    (reply,) = await Chat(dialogue, caller).say(text, "knowledge_question", 0.6, language=language)

    assert reply.text != GO_ON


async def test_a_question_of_its_own_after_a_cut_off_message_is_read_alone(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.by_words = {"return my order": [hit("start-a-return", 0.7)]}
    chat = Chat(dialogue)
    await chat.say("where is my", "knowledge_question", 0.6)

    (reply,) = await chat.say("how do i return my order", "knowledge_question", 0.9)

    assert knowledge.queries[-1] == "how do i return my order"
    assert reply.attributes["route"]["articles"] == ["start-a-return"]
    assert "read_as" not in reply.attributes["route"]


async def test_a_cut_off_message_left_too_long_is_not_joined_to_the_next(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.by_words = {"refunds": [hit("refunds", 0.7)]}
    chat = Chat(dialogue)
    await chat.say("can i pay with my", "knowledge_question", 0.6)
    started = datetime.fromisoformat(chat.slots[CUT_OFF]["at"])
    chat.slots[CUT_OFF]["at"] = (started - CUT_OFF_WAITS - timedelta(minutes=1)).isoformat()

    (reply,) = await chat.say("how long do refunds take", "knowledge_question", 0.9)

    assert knowledge.queries[-1] == "how long do refunds take"
    assert reply.attributes["route"]["articles"] == ["refunds"]


async def test_a_follow_up_naming_a_new_thing_asks_the_last_question_about_it(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "and my rain shell?" after washing a down jacket: the last question asked again
    about the rain shell, which reads better than the follow-up alone."""

    knowledge.by_words = {
        "wash my rain shell": [hit("waterproof", 0.7), hit("down", 0.6)],
        "rain shell": [hit("waterproof", 0.39), hit("sizes", 0.3)],
        "wash": [hit("down", 0.85)],
    }
    chat = Chat(dialogue)
    await chat.say("how do i wash my down jacket", "knowledge_question", 0.9)

    (reply,) = await chat.say("ok and my rain shell?", "nlu_fallback", 0.9)

    assert knowledge.queries[-1] == "how do i wash my rain shell"
    assert reply.attributes["route"]["articles"] == ["waterproof"]


async def test_several_questions_get_one_reply_answering_each(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.by_words = {"return": [RETURNS], "shipping": [SHIPPING]}

    (reply,) = await Chat(dialogue).say(
        "How long do I have to return a coat? And is shipping free?", "knowledge_question", 0.9
    )

    assert reply.text.startswith("Return unworn items within 30 days.")
    assert "Standard shipping is free over $75." in reply.text
    route = reply.attributes["route"]
    assert route["articles"] == ["return-policy", "shipping-costs"]
    assert [part["decision"] for part in route["parts"]] == ["answer", "answer"]
    assert [s["source"] for s in reply.sources] == [RETURNS.source, SHIPPING.source]


async def test_a_section_two_questions_both_find_is_quoted_once(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.by_words = {"return": [RETURNS, SHIPPING]}

    (reply,) = await Chat(dialogue).say(
        "Can I return a worn coat? If not, can I return it in a store?", "knowledge_question", 0.9
    )

    assert reply.text.count("Return unworn items within 30 days.") == 1
    assert "Standard shipping" not in reply.text
    route = reply.attributes["route"]
    assert [(p["rule"], p["articles"]) for p in route["parts"]] == [
        ("article", ["return-policy"]),
        ("already_answered", ["return-policy"]),
    ]
    assert [s["source"] for s in reply.sources] == [RETURNS.source]


async def test_a_second_question_finding_the_firsts_section_gets_its_articles_closer_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """ "do you ship to canada and how much is it": the second question finds the
    section the first is answered with (read after it, as a follow-up to it); the
    article's section closer to it is quoted."""
    costs = passage(
        "Shipping abroad is charged by weight.",
        0.7,
        title="International shipping",
        section="Costs",
        source="https://help.acme.test/international-shipping",
    )
    where = dataclasses.replace(
        costs, chunk_id=costs.chunk_id + 1, section="Countries", text="We ship to Canada."
    )
    knowledge.by_words = {"canada": [where], "how much": [where]}
    knowledge.other_sections = {where.chunk_id: costs}

    (reply,) = await Chat(dialogue).say(
        "Do you ship to Canada? How much is it?", "knowledge_question", 0.9
    )

    assert reply.text.startswith("We ship to Canada.")
    assert "Shipping abroad is charged by weight." in reply.text
    assert knowledge.sections_asked == [("How much is it?", where.chunk_id)]
    rules = [p["rule"] for p in reply.attributes["route"]["parts"]]
    assert rules == ["article", "article_next_section"]


async def test_two_requests_joined_by_and_are_each_answered_when_each_finds_its_article(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """Neither half is worded as a question; the knowledge base says it is two topics."""
    knowledge.by_words = {"return window": [RETURNS], "free shipping": [SHIPPING],
                          "coats": [RETURNS, SHIPPING]}  # fmt: skip

    (reply,) = await Chat(dialogue).say(
        "the return window for coats and then free shipping rules please",
        "knowledge_question",
        0.9,
    )

    assert reply.attributes["route"]["articles"] == ["return-policy", "shipping-costs"]


async def test_a_half_that_finds_nothing_leaves_the_message_whole(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    weak = passage("Standard shipping is free over $75.", 0.2, source=SHIPPING.source)
    knowledge.by_words = {"coats and": [RETURNS], "return window": [RETURNS], "": [weak]}

    (reply,) = await Chat(dialogue).say(
        "the return window for coats and my mood today is grey", "knowledge_question", 0.9
    )

    assert reply.attributes["route"]["articles"] == ["return-policy"]
    assert "parts" not in reply.attributes["route"]


async def test_a_close_call_asks_which_and_a_number_answers(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    tied = passage("Standard shipping is free over $75.", 0.795, title="Shipping costs",
                   source="https://help.acme.test/shipping-costs")  # fmt: skip
    knowledge.passages = [RETURNS, tied]
    chat = Chat(dialogue)

    (ask,) = await chat.say("sending stuff back", "knowledge_question", 0.9)
    assert ask.text.startswith(CLARIFY_INTRO)
    assert "1. Return policy\n2. Shipping costs" in ask.text
    assert ask.attributes["choices"] == [
        {"label": "Return policy", "reply": "1"},
        {"label": "Shipping costs", "reply": "2"},
    ]
    assert ask.attributes["route"]["options"] == ["return-policy", "shipping-costs"]

    (answer,) = await chat.say("2", "nlu_fallback", 0.2)
    assert answer.text.startswith("Standard shipping is free over $75.")
    assert answer.attributes["route"]["rule"] == "clarified"


async def test_an_faq_entry_offered_as_an_option_is_labelled_by_its_question(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    faq = dataclasses.replace(
        passage("Our flagship store is in Portland.", 0.5, title="Frequently asked questions",
                section="Stores: Where are your stores?",
                source="https://help.acme.test/stores"),
        question="Where are your stores?",
    )  # fmt: skip
    close = passage("Exchange in any store.", 0.49, title="Exchanges",
                    source="https://help.acme.test/exchanges")  # fmt: skip
    knowledge.passages = [faq, close]

    (ask,) = await Chat(dialogue).say("is it cheaper to buy in store", "knowledge_question")

    assert "1. Where are your stores?\n2. Exchanges" in ask.text


@pytest.mark.parametrize(
    "question", ["can I return it instead?", "actually how long do I have to return it"]
)
async def test_a_question_mid_form_is_answered_then_the_form_asks_to_go_on(
    dialogue: SupportDialogue,
    knowledge: ScriptedKnowledgeBase,
    actions: RecordingActions,
    question: str,
) -> None:
    chat = Chat(dialogue)
    await chat.say("I want to open a ticket", "open_ticket", 0.96)
    knowledge.passages = [RETURNS]
    await chat.say("Broken zip", "nlu_fallback", 0.3)
    knowledge.passages = [passage("Return unworn items within 30 days.", 0.95,
                                  source=RETURNS.source)]  # fmt: skip

    answer, go_on = await chat.texts(question, "knowledge_question")
    assert answer.startswith("Return unworn items within 30 days.")
    assert go_on == "Shall we go on with opening your ticket? Say yes to go on, or no to stop."

    (ask,) = await chat.texts("yes", "affirm")
    assert ask == f"{ask_text('ticket_description')} {STOP_HINT}"
    assert chat.slots[ACTIVE_LOOP] == OPEN_TICKET_FORM
    assert actions.ran == ["validate_open_ticket_form"]  # the question was not an answer


async def test_after_three_turned_down_answers_the_form_offers_to_stop(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)
    await chat.say("open a ticket", "open_ticket", 0.96)
    for _ in range(3):
        actions.will_answer("validate_open_ticket_form", "Could you say more?", ticket_subject=None)

    first = await chat.texts("x", "nlu_fallback")
    second = await chat.texts("y", "nlu_fallback")
    (third,) = await chat.say("z", "nlu_fallback")

    assert first == second == [f"Could you say more? {STOP_HINT}"]
    assert third.text == OFFER_TO_STOP
    assert third.attributes["route"]["decision"] == "offer"
    assert await chat.texts("yes", "affirm") == [
        "OK, I've stopped that. Is there anything else I can help with?"
    ]
    assert ACTIVE_LOOP not in chat.slots


async def test_another_language_is_told_in_that_language_and_offered_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    chat = Chat(dialogue)

    (reply,) = await chat.say(
        "¿Puedo devolver una chaqueta?", "knowledge_question", 0.5, language="es"
    )

    assert reply.attributes["route"] == {
        "decision": "language",
        "rule": "language_not_covered",
        "articles": [],
        "candidates": [],
        "language": "es",
    }
    assert knowledge.queries == []
    await chat.say("sí", "affirm", 0.9)
    assert actions.ran == ["action_handoff"]


@pytest.mark.parametrize(("question", "language", "yes"), [
    ("¿Puedo devolver unas botas?", "es", "Sí"),
    ("Puis-je retourner mes bottes ?", "fr", "oui"),
])  # fmt: skip
async def test_the_yes_the_language_notice_asks_for_hands_over(
    dialogue: SupportDialogue, actions: RecordingActions, question: str, language: str, yes: str
) -> None:
    """The notice says "just say «sí»"; the NLU, which reads English, takes "sí" for
    nothing at all (no intent, no language: too short to tell)."""
    chat = Chat(dialogue)
    await chat.say(question, "nlu_fallback", 0.3, language=language)

    await chat.say(yes, "nlu_fallback", 0.2)

    assert actions.ran == ["action_handoff"]


async def test_the_handover_is_said_first_in_the_customers_language(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    """The team's handover message (its hours, what happens next) is in English; the
    customer who said "sí" hears first, in Spanish, that a person is coming."""
    actions.will_answer("action_handoff", "A person from our team will reply.", handoff_id=7)
    chat = Chat(dialogue)
    await chat.say("¿Puedo devolver unas botas?", "nlu_fallback", 0.3, language="es")

    replies = await chat.say("sí", "nlu_fallback", 0.2)

    assert [reply.text for reply in replies] == [
        handover_line("es"),
        "A person from our team will reply.",
    ]
    assert replies[0].attributes["route"]["decision"] == "handover"


async def test_a_handoff_that_was_not_made_is_not_announced_in_the_customers_language(
    dialogue: SupportDialogue, actions: RecordingActions
) -> None:
    actions.will_answer("action_handoff", "Nobody can take this right now.")
    chat = Chat(dialogue)
    await chat.say("Puis-je retourner mes bottes ?", "nlu_fallback", 0.3, language="fr")

    assert await chat.texts("oui", "nlu_fallback") == ["Nobody can take this right now."]


async def test_a_language_the_help_centre_covers_is_searched_in_that_language(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.covers = {"en", "es"}
    knowledge.passages = [RETURNS]

    (reply,) = await Chat(dialogue).say(
        "¿Puedo devolver una chaqueta?", "knowledge_question", 0.5, language="es"
    )

    assert knowledge.languages_asked == ["es"]
    assert reply.attributes["route"]["decision"] == "answer"


async def test_an_angry_complaint_answered_from_a_probable_article_is_offered_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    probable = passage(
        "Tracking can pause for a day or two.", 0.48, title="Lost or late parcels",
        source="https://help.acme.test/lost-or-late-parcels",
    )  # fmt: skip
    knowledge.passages = [probable]
    chat = Chat(dialogue)

    answer, offer = await chat.say(
        "third time my order is late, absolutely fed up", "complaint", 0.9
    )

    assert answer.attributes["route"]["rule"] == "article_for_complaint_probable"
    assert answer.text.startswith("Tracking can pause for a day or two.")
    assert offer.text == "I'm sorry about the trouble. If you'd like a person to help, just say so."
    (yes,) = await chat.say("yes", "affirm")
    assert yes.attributes["route"]["decision"] == "handover"
