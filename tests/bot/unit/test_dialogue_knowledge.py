"""Questions the knowledge base answers, and the misses: an answer with its source, the
honest fallback with the passages tried, an offer of a person after two misses in a row,
and what "yes" and "no" do with that offer."""

from __future__ import annotations

import dataclasses

import pytest

from actions.context import OFFER_REASON
from actions.handoff import HANDOFF_REASON
from bot.conversation.dialogue import FALLBACK
from bot.conversation.support_dialogue import (
    ACKNOWLEDGED,
    ASK_AWAY,
    GO_ON,
    NO_LIST_OPEN,
    NOTHING_ELSE,
    OFFER_AFTER_TWO_MISSES,
    SUGGESTIONS_INTRO,
    SUGGESTIONS_OUTRO,
    SupportDialogue,
)
from knowledge import FALLBACK_TEXT
from tests.support.dialogue_chat import CARRIER_NUMBER, Chat, entity
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase, passage

REFUNDS = "Refunds are issued within 5 business days of the return reaching us."


async def test_a_confident_passage_is_the_answer_with_its_source(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.81)]

    (reply,) = await Chat(dialogue).say("how long do refunds take?", "nlu_fallback", 0.3)

    assert reply.text == (
        f"{REFUNDS}\n\n_Source: [Refunds — Timing](https://help.acme.test/refunds)_"
    )
    assert (reply.intent, reply.confidence) == ("knowledge_question", 0.81)
    assert [s["title"] for s in reply.sources] == ["Refunds — Timing"]
    assert knowledge.queries == ["how long do refunds take?"]
    assert actions.ran == []


async def test_an_sms_answer_is_plain_text_with_the_source_spelled_out(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage("Refunds take **5 business days**.", 0.8)]

    (reply,) = await Chat(dialogue, CARRIER_NUMBER).say("refund time?", "nlu_fallback", 0.2)

    assert reply.text == (
        "Refunds take 5 business days.\n\nSource: Refunds — Timing, https://help.acme.test/refunds"
    )


async def test_the_knowledge_base_is_asked_without_the_entity_values(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage("Exchanges are free within 30 days.", 0.7)]
    text = "can I exchange the jacket from order 4417 ?"

    answer, order = await Chat(dialogue).say(
        text, "exchange", 0.88, entities=[entity("order_number", "4417", text)]
    )

    assert knowledge.queries == ["can I exchange the jacket from order ?"]
    assert answer.intent == "exchange"  # NLU's route is kept on the knowledge answer
    # The order named is looked up too, under the article.
    assert order.text == "action_order_status ran"
    assert answer.attributes["route"]["rule"] == "article_then_named_order"


async def test_a_message_that_is_nothing_but_an_entity_is_asked_as_it_is(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    await Chat(dialogue).say(
        "4417?", "inform", 0.5, entities=[entity("order_number", "4417", "4417?")]
    )

    assert knowledge.queries == ["4417?"]


async def test_a_miss_is_the_honest_fallback_with_the_passages_tried(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [
        passage(
            "Our offices are in Lisbon.",
            0.21,
            title="About us",
            section="About us",
            source="https://help.acme.test/about-us",
        ),
        passage(REFUNDS, 0.19),
    ]
    chat = Chat(dialogue)

    (reply,) = await chat.say("what is the capital of Peru?", "nlu_fallback", 0.4)

    assert reply.text == FALLBACK_TEXT
    assert (reply.intent, reply.confidence) == ("nlu_fallback", 0.21)
    assert reply.sources == []  # the fallback cites nothing
    route = reply.attributes["route"]
    assert (route["decision"], route["articles"]) == ("fallback", [])
    # What it weighed is kept apart, for the agent who picks it up.
    assert [(c["kind"], c["name"], c["score"]) for c in route["candidates"]] == [
        ("intent", "nlu_fallback", 0.4),
        ("article", "about-us", 0.21),
        ("article", "refunds", 0.19),
    ]
    assert chat.slots[OFFER_REASON] == "not_understood"  # a person was offered


EXCHANGES = passage(
    "Exchanges are free within 30 days.", 0.39, title="Exchanges", section="Swapping a size",
    source="https://help.acme.test/exchanges",
)  # fmt: skip
RESTOCKS = passage(
    "Most sizes come back within six weeks.", 0.37, title="Stock", section="Restocks",
    source="https://help.acme.test/stock",
)  # fmt: skip


async def test_a_miss_near_some_articles_lists_them_without_citing_any(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    """Below the answer's bar but near it: not answered (nothing cited, still a
    fallback), but the nearest articles are one reply away, and a person is offered."""
    knowledge.passages = [EXCHANGES, RESTOCKS, passage(REFUNDS, 0.2)]
    chat = Chat(dialogue)

    (reply,) = await chat.say("need to trade my boots for a size 11", "nlu_fallback", 0.9)

    assert reply.text == (f"{SUGGESTIONS_INTRO}\n1. Exchanges\n2. Stock\n{SUGGESTIONS_OUTRO}")
    assert reply.sources == []
    route = reply.attributes["route"]
    assert (route["decision"], route["articles"]) == ("fallback", [])
    assert route["options"] == ["exchanges", "stock"]  # refunds (0.2) is too far
    assert reply.attributes["choices"] == [
        {"label": "Exchanges", "reply": "1"},
        {"label": "Stock", "reply": "2"},
    ]
    assert chat.slots[OFFER_REASON] == "not_understood"


async def _shown_suggestions(dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase) -> Chat:
    """A chat whose last reply was the fallback listing Exchanges and Stock."""
    knowledge.passages = [EXCHANGES, RESTOCKS]
    chat = Chat(dialogue)
    await chat.say("need to trade my boots for a size 11", "nlu_fallback", 0.9)
    return chat


async def test_a_suggestion_picked_by_its_number_is_answered(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    chat = await _shown_suggestions(dialogue, knowledge)

    (reply,) = await chat.say("1", "nlu_fallback", 0.5)

    assert reply.text.startswith("Exchanges are free within 30 days.")
    assert [s["title"] for s in reply.sources] == ["Exchanges — Swapping a size"]
    assert reply.attributes["route"]["rule"] == "clarified"


async def test_yes_to_a_miss_with_suggestions_reaches_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    measure = dataclasses.replace(RESTOCKS, title="How to measure")
    knowledge.passages = [EXCHANGES, measure]
    actions.will_answer("action_handoff", "I'm passing you to a person.", handoff_id=4)
    chat = Chat(dialogue)
    await chat.say("need to trade my boots for a size 11", "nlu_fallback", 0.9)

    # "sure" is a yes, not the letters of "How to measure"
    assert await chat.texts("sure", "affirm", 0.97) == ["I'm passing you to a person."]
    assert actions.ran == ["action_handoff"]


async def test_thanks_after_a_picked_suggestion_is_not_a_yes_to_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    # The list came with a person offered; picking an article answers that offer.
    chat = await _shown_suggestions(dialogue, knowledge)
    await chat.say("the first one", "nlu_fallback", 0.5)
    assert OFFER_REASON not in chat.slots

    (thanks,) = await chat.say("great, thanks", "affirm", 0.95)

    assert actions.ran == []
    assert thanks.attributes["route"]["decision"] == "small_talk"


@pytest.mark.parametrize("said", ["exchange", "stocks", "the 2nd", "option 1", "#2"])
async def test_a_suggestion_picked_by_its_words_or_place(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, said: str
) -> None:
    # "exchange" for "Exchanges", "stocks" for "Stock": a plural or a word's start counts.
    chat = await _shown_suggestions(dialogue, knowledge)

    (reply,) = await chat.say(said, "nlu_fallback", 0.5)

    assert reply.attributes["route"]["rule"] == "clarified"
    wanted = "exchanges" if said in ("exchange", "option 1") else "stock"
    assert reply.attributes["route"]["articles"] == [wanted]


async def test_a_new_question_with_an_ordinal_is_not_a_pick(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    chat = await _shown_suggestions(dialogue, knowledge)
    knowledge.passages = [passage("New customers get 10% off their first order.", 0.8)]

    (reply,) = await chat.say("first order discount?", "knowledge_question", 0.7)

    assert reply.attributes["route"]["rule"] != "clarified"
    assert reply.text.startswith("New customers get 10% off")


async def test_a_cut_off_message_after_a_list_of_suggestions_is_held(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    # The list asked nothing: "where is my" after it is half a message, as anywhere.
    chat = await _shown_suggestions(dialogue, knowledge)

    assert await chat.texts("where is my", "knowledge_question", 0.6) == [GO_ON]


@pytest.mark.parametrize("said", ["2", "the first one", "#3"])
async def test_a_pick_with_no_list_open_is_asked_about(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, said: str
) -> None:
    # An answer, not a list, came last: "2" is not read with its topic and re-answered.
    knowledge.passages = [passage(REFUNDS, 0.8)]
    chat = Chat(dialogue)
    await chat.say("when will my refund come", "knowledge_question", 0.9)

    (reply,) = await chat.say(said, "nlu_fallback", 0.4)

    assert reply.text == NO_LIST_OPEN
    assert reply.attributes["route"]["rule"] == "choice_without_list"


async def test_the_route_keeps_each_articles_probability_when_search_gives_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [
        dataclasses.replace(passage(REFUNDS, 0.8), article_probability=0.91234),
        passage("Ships in 3 days.", 0.5, title="Shipping", source="https://help.acme.test/s"),
    ]

    (reply,) = await Chat(dialogue).say("when is my refund", "knowledge_question", 0.9)

    articles = [c for c in reply.attributes["route"]["candidates"] if c["kind"] == "article"]
    assert articles[0]["probability"] == 0.9123
    assert "probability" not in articles[1]  # no classifier's word on it: none stored


async def test_an_empty_knowledge_base_falls_back(dialogue: SupportDialogue) -> None:
    (reply,) = await Chat(dialogue).say("what is the capital of Peru?", "nlu_fallback", 0.4)

    assert (reply.text, reply.intent, reply.confidence) == (FALLBACK, "nlu_fallback", 0.0)


async def test_a_second_miss_in_a_row_offers_a_person_and_yes_hands_over(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.2)]
    actions.will_answer("action_handoff", "I'm passing you to a person.", handoff_id=31)
    chat = Chat(dialogue)

    (first,) = await chat.say("what is the capital of Peru?", "nlu_fallback", 0.3)
    (second,) = await chat.say("and of Chile?", "nlu_fallback", 0.3)
    (handed,) = await chat.say("yes please", "affirm", 0.97)

    assert first.text == FALLBACK_TEXT
    assert second.text == OFFER_AFTER_TWO_MISSES and not second.sources
    assert second.attributes["route"]["decision"] == "offer"
    assert actions.ran == ["action_handoff"]
    assert actions.runs[0].slots[HANDOFF_REASON] == "not_understood"
    assert (handed.text, handed.intent) == ("I'm passing you to a person.", "talk_to_human")
    assert handed.attributes["handoff_id"] == 31
    assert OFFER_REASON not in chat.slots and HANDOFF_REASON not in chat.slots


async def test_an_answer_between_two_misses_starts_the_count_again(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    chat = Chat(dialogue)
    knowledge.passages = [passage(REFUNDS, 0.2)]
    await chat.say("what is the capital of Peru?", "nlu_fallback", 0.3)
    knowledge.passages = [passage(REFUNDS, 0.8)]
    await chat.say("how long do refunds take?", "nlu_fallback", 0.3)
    knowledge.passages = [passage(REFUNDS, 0.2)]

    (reply,) = await chat.say("and of Chile?", "nlu_fallback", 0.3)

    assert reply.text == FALLBACK_TEXT


async def test_no_to_the_offer_carries_on_without_a_person(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.2)]
    chat = Chat(dialogue)
    await chat.say("what is the capital of Peru?", "nlu_fallback", 0.3)

    (reply,) = await chat.say("no thanks", "deny", 0.95)

    assert (reply.text, reply.intent) == ("No problem. What else can I help with?", "deny")
    assert actions.ran == [] and OFFER_REASON not in chat.slots


async def test_yes_or_no_without_an_offer_is_acknowledged(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase, actions: RecordingActions
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.1)]
    chat = Chat(dialogue)

    (yes,) = await chat.say("yes", "affirm", 0.9)
    (no,) = await chat.say("nah", "deny", 0.9)

    assert actions.ran == [] and knowledge.queries == []  # not read as a follow-up
    assert (yes.text, yes.attributes["route"]["decision"]) == (ACKNOWLEDGED, "small_talk")
    assert no.text == NOTHING_ELSE


@pytest.mark.parametrize("text", ["hmm", "?", "🤔", "..."])
async def test_a_message_that_says_nothing_is_asked_what_they_want_and_an_offer_waits(
    dialogue: SupportDialogue,
    knowledge: ScriptedKnowledgeBase,
    actions: RecordingActions,
    text: str,
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.2)]
    actions.will_answer("action_handoff", "I'm passing you to a person.", handoff_id=7)
    chat = Chat(dialogue)
    await chat.say("what is the capital of Peru?", "nlu_fallback", 0.3)  # a person offered
    queries = list(knowledge.queries)

    (reply,) = await chat.say(text, "affirm", 0.97)  # the NLU read "hmm" as a sure yes
    (handed,) = await chat.say("yes", "affirm", 0.97)

    assert reply.text == ASK_AWAY
    assert reply.attributes["route"]["rule"] == "says_nothing"
    assert knowledge.queries == queries and actions.ran == ["action_handoff"]
    assert handed.text == "I'm passing you to a person."


async def test_a_question_the_nlu_reads_as_no_is_asked_not_acknowledged(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.8)]

    (reply,) = await Chat(dialogue).say("what if its not covered", "deny", 0.9)

    assert reply.attributes["route"]["decision"] == "answer"
    assert knowledge.queries == ["what if its not covered"]


async def test_an_upset_reply_to_an_answer_is_offered_a_person_not_the_same_answer(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.81)]
    chat = Chat(dialogue)
    await chat.say("how long do refunds take?", "knowledge_question", 0.9)

    (reply,) = await chat.say("this is ridiculous, your service is terrible", "complaint", 0.9)

    assert reply.attributes["route"]["rule"] == "complaint_after_answer"
    assert reply.attributes["route"]["decision"] == "offer"
    assert reply.sources == []


async def test_a_follow_up_that_finds_the_section_just_quoted_gets_the_articles_next_one(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    first = passage("You can change the address within one hour.", 0.8, section="Changing")
    after = passage("After one hour the order is being packed.", 0.3, section="After an hour")
    knowledge.passages = [first]
    knowledge.other_sections = {first.chunk_id: after}
    chat = Chat(dialogue)
    (answer,) = await chat.say("can i change the address after ordering", "knowledge_question", 0.9)
    assert answer.text.startswith("You can change the address within one hour.")
    assert knowledge.sections_asked == []  # nothing quoted before: the best section

    (reply,) = await chat.say("what if it already shipped", "knowledge_question", 0.9)

    assert knowledge.sections_asked == [("what if it already shipped", first.chunk_id)]
    assert reply.text.startswith("After one hour the order is being packed.")
    assert reply.attributes["route"]["rule"].endswith("_next_section")
    assert [s["chunk_id"] for s in reply.sources] == [after.chunk_id]


async def test_the_same_question_typed_again_gets_the_same_section(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    first = passage("We take returns within 30 days.", 0.8, section="Our return policy")
    knowledge.passages = [first]
    knowledge.other_sections = {first.chunk_id: passage("Worn items...", 0.8, section="Worn")}
    chat = Chat(dialogue)
    await chat.say("what's your return policy", "knowledge_question", 0.9)

    (reply,) = await chat.say("Whats your return policy?", "knowledge_question", 0.9)

    assert reply.text.startswith("We take returns within 30 days.")
    assert knowledge.sections_asked == []


async def test_a_calm_follow_up_may_get_the_same_section_again(
    dialogue: SupportDialogue, knowledge: ScriptedKnowledgeBase
) -> None:
    knowledge.passages = [passage(REFUNDS, 0.81)]
    chat = Chat(dialogue)
    await chat.say("how long do refunds take?", "knowledge_question", 0.9)

    (reply,) = await chat.say("and for a gift card refund?", "knowledge_question", 0.9)

    assert reply.attributes["route"]["decision"] == "answer"
