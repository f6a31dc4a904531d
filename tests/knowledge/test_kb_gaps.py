"""Gaps in the help centre (knowledge/gaps.py): topics customers often ask about that
its articles never mention, and the questions that ask about them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from knowledge.gaps import GAP_SIMILARITY, CommonTopic, HelpCentreGaps, common_topics

PARKING = CommonTopic("parking", ("parking", "car park"), ("where can I park",))
TRADE_IN = CommonTopic("trade-in", ("trade-in", "buy back"), ("do you buy old gear",))


def _axes(texts: Sequence[str]) -> np.ndarray:
    """Each way of asking on its own axis, so a test sets a question's similarity."""
    order = ["where can I park", "do you buy old gear"]
    return np.asarray([np.eye(2, dtype=np.float32)[order.index(t)] for t in texts])


def _towards(axis: int, similarity: float) -> np.ndarray:
    vector = np.zeros(2, dtype=np.float32)
    vector[axis] = similarity
    return vector


def test_a_topic_the_help_centre_mentions_is_not_a_gap() -> None:
    gaps = HelpCentreGaps.find(["Free parking behind the store."], _axes, [PARKING, TRADE_IN])

    assert gaps.topics == ["trade-in"]


def test_spaces_hyphens_and_plurals_count_as_the_same_word() -> None:
    gaps = HelpCentreGaps.find(["We take trade ins at every store."], _axes, [TRADE_IN])

    assert gaps.topics == []


def test_a_word_inside_another_word_is_not_a_mention() -> None:
    gaps = HelpCentreGaps.find(
        ["Sparkingly clean, bought back in time."], _axes, [PARKING, TRADE_IN]
    )

    assert gaps.topics == ["parking", "trade-in"]


def test_an_empty_help_centre_has_no_gaps_to_speak_of() -> None:
    assert HelpCentreGaps.find([], _axes, [PARKING]).topics == []


def test_a_question_about_a_gap_names_it_and_is_close_to_how_it_is_asked() -> None:
    gaps = HelpCentreGaps.find(["Our stores open at nine."], _axes, [PARKING, TRADE_IN])

    found = gaps.match("Is there PARKING at the store?", _towards(0, 0.8))

    assert found is not None
    assert (found.topic, found.word) == ("parking", "parking")
    assert found.similarity == np.float32(0.8)


def test_a_question_about_a_mentioned_topic_names_the_articles_that_mention_it() -> None:
    gaps = HelpCentreGaps.find(
        [("stores", "Our stores open at nine."), ("visit", "Free parking behind the store.")],
        _axes,
        [PARKING, TRADE_IN],
    )

    found = gaps.match("is there parking at the store", _towards(0, 0.8))

    assert gaps.topics == ["trade-in"]
    assert found is not None and found.mentioned_in == {"visit"}
    trade_in = gaps.match("do you buy old gear as a trade in", _towards(1, 0.8))
    assert trade_in is not None and trade_in.mentioned_in == frozenset()


def test_a_mention_in_a_chunk_without_an_article_is_not_judged_per_article() -> None:
    gaps = HelpCentreGaps.find([("", "Free parking behind the store.")], _axes, [PARKING])

    assert gaps.match("is there parking at the store", _towards(0, 0.8)) is None


def test_naming_the_word_is_not_enough() -> None:
    gaps = HelpCentreGaps.find(["Our stores open at nine."], _axes, [PARKING])

    assert gaps.match("got a parking ticket while returning my jacket", _towards(0, 0.3)) is None
    assert GAP_SIMILARITY > 0.3


def test_being_close_without_the_word_is_not_enough() -> None:
    gaps = HelpCentreGaps.find(["Our stores open at nine."], _axes, [PARKING])

    assert gaps.match("where do I leave the car", _towards(0, 0.9)) is None


def test_the_shipped_topics_load_with_words_and_ways_of_asking() -> None:
    topics = common_topics()

    assert len(topics) >= 20
    assert all(t.words and t.asked for t in topics)
    assert len({t.topic for t in topics}) == len(topics)


def test_the_demo_help_centre_gaps_are_read_from_its_articles_words(
    demo_kb: KnowledgeBase,
) -> None:
    gaps = demo_kb.gaps().topics

    # never mentioned by an article (a customer's "left my old job" among the ways an
    # article is asked is not the article saying anything about jobs)
    assert {"jobs", "parking", "gift wrapping", "loyalty scheme"} <= set(gaps)
    # the materials article speaks of merino and wool
    assert "wool care" not in gaps


def test_questions_about_gaps_and_questions_that_only_use_their_words(
    demo_kb: KnowledgeBase, encoder: SentenceEncoder
) -> None:
    def gap(text: str) -> str | None:
        found = demo_kb.gap(text, encoder.encode([text])[0])
        return found.topic if found else None

    assert gap("are you hiring at the portland store? i need a summer job") == "jobs"
    # the README's example of a gap question (rule 4 of how the bot decides)
    assert gap("can I get a job at the Portland store") == "jobs"
    assert gap("is there parking near the harbor street shop") == "parking"
    assert gap("my dog chewed through the strap on my backpack, can you fix it") is None
    assert gap("how long do refunds take") is None


async def test_a_help_centre_that_adds_an_article_on_a_gap_closes_it(
    encoder: SentenceEncoder, tmp_path: Path
) -> None:
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "stores.md").write_text("# Our stores\n\nOur Portland store opens at nine.\n")
    kb = KnowledgeBase.open(tmp_path / "index", encoder)
    kb.ingest([help_dir])
    question = "is there parking at the portland store"
    assert (await kb.gap_async(question)) is not None

    (help_dir / "parking.md").write_text(
        "# Parking\n\nFree parking for customers behind the Portland store.\n"
    )
    kb.ingest([help_dir])

    found = await kb.gap_async(question)
    # still the topic the question asks about, now with the article that mentions it
    assert found is not None and found.topic == "parking"
    assert [Path(a).name for a in found.mentioned_in] == ["parking.md"]
    assert "parking" not in kb.gaps().topics


def test_every_way_of_asking_names_its_topic_in_one_of_its_words() -> None:
    # a gap needs one of its words in the question (`HelpCentreGaps.match`): a way of
    # asking without one would describe questions the check never finds
    for topic in common_topics():
        gaps = HelpCentreGaps(
            [topic], np.ones((len(topic.asked), 1), np.float32), [0] * len(topic.asked)
        )
        for asked in topic.asked:
            assert gaps.match(asked, np.ones(1, np.float32)) is not None, (topic.topic, asked)
