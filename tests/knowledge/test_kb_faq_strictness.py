"""A short yes/no FAQ answer is given only for its own question."""

from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.citations import cited_markdown
from knowledge.faq import FAQ_QUESTION_THRESHOLD, FAQ_RANK_MARGIN, answers_only_its_question
from tests.support.encoders import RecordingEncoder


def test_which_entries_answer_only_their_own_question() -> None:
    assert answers_only_its_question("Do gift cards expire?", "No. They never expire.")
    assert answers_only_its_question("Do you ship on weekends?", "Our warehouse ships Mon-Fri.")
    assert answers_only_its_question("¿Hacen envíos?", "Sí, a toda Europa.")
    assert not answers_only_its_question("How do I use a gift card?", "Enter its number.")
    assert not answers_only_its_question("Why is my code refused?", "Codes expire.")
    # one fact: a place, a number, a time
    assert answers_only_its_question("Where are your stores?", "At 120 Harbor Street.")
    assert answers_only_its_question("How long is the warranty?", "Two years.")
    assert answers_only_its_question("When do you ship?", "Monday to Friday.")
    assert not answers_only_its_question("Where do I enter a code?", "In the Discount box.")
    assert not answers_only_its_question("When I return an item, who pays?", "We do.")
    long_answer = "Yes, " + "and it depends on the case " * 20
    assert not answers_only_its_question("Can I do this?", long_answer)  # an explanation


def test_an_entry_the_query_does_not_ask_steps_aside_for_its_article(tmp_path: Path) -> None:
    """Hashing vectors: the query shares the answer's words, not the entry's question."""
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "gift-cards.md").write_text(
        "---\nurl: https://help.example/gift-cards\n---\n# Gift cards\n\n"
        "## Buying a gift card\n\nWe sell gift cards from $25 to $500.\n"
    )
    (help_dir / "faq.csv").write_text(
        "question,answer,url\n"
        'Do they lapse?,"No. Gift cards never expire, sell or buy.",'
        "https://help.example/gift-cards\n"
    )
    kb = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    kb.ingest([help_dir])

    (best,) = kb.search("sell gift cards never expire", k=1)
    assert not best.is_faq
    assert (best.section, best.article) == ("Buying a gift card", "https://help.example/gift-cards")

    (own,) = kb.search("do they lapse?", k=1)
    assert own.is_faq and own.question_similarity >= FAQ_QUESTION_THRESHOLD
    assert own.text.startswith("No.")

    lenient = KnowledgeBase.open(
        tmp_path / "index", RecordingEncoder(), faq_question_threshold=None
    )
    (loose,) = lenient.search("sell gift cards never expire", k=1)
    assert loose.is_faq  # what happened before: the entry's words won
    # The entry still says what the article is about: its section is as sure, less the margin.
    assert best.similarity >= loose.similarity - FAQ_RANK_MARGIN - 1e-6


def test_an_entry_alone_in_its_article_is_kept(tmp_path: Path) -> None:
    """Nothing could stand in for it, and the next entry is no better an answer."""
    (tmp_path / "faq.csv").write_text(
        "question,answer\nDo they lapse?,No. Gift cards never expire.\n"
        "Where is the shop?,On Main Street.\n"
    )
    kb = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    kb.ingest([tmp_path / "faq.csv"])
    (best,) = kb.search("gift cards never expire", k=1)
    assert best.question == "Do they lapse?"
    assert best.question_similarity < FAQ_QUESTION_THRESHOLD  # the router can see it
    # The answer says first which question its "No." is to.
    assert cited_markdown(best).startswith("**Do they lapse?**\n\nNo. Gift cards never expire.")
    (own,) = kb.search("do they lapse?", k=1)
    assert cited_markdown(own).startswith("No. Gift cards never expire.")


def test_demo_help_centre_questions_are_not_answered_by_a_neighbouring_entry(
    demo_kb: KnowledgeBase,
) -> None:
    (gift,) = demo_kb.search("do you sell gift cards?", k=1)
    assert gift.article.endswith("/products/gift-cards")
    assert gift.question != "Do gift cards expire?" and not gift.text.startswith("No.")

    (canada,) = demo_kb.search("Do you ship to Canada and how much?", k=1)
    assert not canada.text.startswith("Yes: standard shipping is free")
    assert canada.article.endswith("/orders-and-shipping/international-shipping")


def test_the_entry_still_answers_its_own_question(demo_kb: KnowledgeBase) -> None:
    (own,) = demo_kb.search("Do gift cards expire?", k=1)
    assert own.is_faq and own.question == "Do gift cards expire?"
    assert own.text.startswith("No. Acme Outfitters gift cards never expire")
