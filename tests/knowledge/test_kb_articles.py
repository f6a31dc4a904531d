"""Search answers per article: the best chunk of each, k different articles."""

import asyncio
import dataclasses
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, Passage
from tests.support.encoders import RecordingEncoder


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "refunds.md").write_text(
        "---\nurl: https://help.example/refunds#top\n---\n# Refunds\n\n"
        "## Refund timing\n\nRefunds are issued within 5 business days.\n\n"
        "## Refund method\n\nRefunds go back to the card you paid with.\n"
    )
    (help_dir / "exchanges.md").write_text(
        "# Exchanges\n\n## Swaps\n\nRefunds are not needed for swaps: we swap sizes.\n"
    )
    (help_dir / "faq.csv").write_text(
        "question,answer,url\n"
        "How long do refunds take?,Refunds take 5 business days.,https://help.example/refunds\n"
        "Where is the shop?,Refunds are given in the shop on Main Street.,\n"
        "When does the shop open?,Refunds desk opens at 9.,\n"
    )
    knowledge = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    knowledge.ingest([help_dir])
    return knowledge


def test_the_top_k_are_k_different_articles(kb: KnowledgeBase) -> None:
    found = kb.search("refunds", k=10)
    articles = [p.article for p in found]
    assert len(articles) == len(set(articles))
    # the refunds article's two sections and its FAQ entry are one article
    assert articles.count("https://help.example/refunds") == 1
    assert len(found) == 4  # refunds, exchanges and the two FAQ entries without a URL


def test_article_keys(kb: KnowledgeBase, tmp_path: Path) -> None:
    found = {p.section: p for p in kb.search("refunds shop swaps", k=10)}
    exchanges = next(p for p in found.values() if p.title == "Exchanges")
    assert exchanges.article == str((tmp_path / "help" / "exchanges.md").resolve())
    faq_file = str((tmp_path / "help" / "faq.csv").resolve())
    shop = found["Where is the shop?"]
    assert shop.article == f"{faq_file}#Where is the shop?"  # an article of its own
    assert shop.is_faq and shop.question == "Where is the shop?"
    assert not exchanges.is_faq


def test_a_url_fragment_is_not_part_of_the_article() -> None:
    passage = Passage("d", 1, "T", "S", "https://help.example/a#section-2", 0.5, "x", 0.5)
    assert passage.article == "https://help.example/a"  # filled in when not given
    local = Passage("d", 1, "T", "S", "/srv/help/a.md", 0.5, "x", 0.5)
    assert local.article == "/srv/help/a.md"


def test_another_section_of_the_article_is_the_one_closest_and_never_an_faq_entry(
    kb: KnowledgeBase,
) -> None:
    """A follow-up that found the section just quoted is shown the article's next one
    (bot/conversation/support_dialogue.py): its closest other section, never the shown
    one and never the article's FAQ entry (a short answer to its own question)."""
    (shown,) = [p for p in kb.search("refund timing", k=10) if "refunds" in p.article]
    assert shown.section == "Refund timing"

    other = asyncio.run(kb.other_section_async("which card does it go back to", shown))

    assert other is not None and other.section == "Refund method"
    assert other.question is None and other.article == shown.article
    assert (other.score, other.similarity) == (shown.score, shown.similarity)


def test_an_article_of_one_section_has_no_other(kb: KnowledgeBase) -> None:
    (swaps,) = [p for p in kb.search("swap sizes", k=10) if p.section == "Swaps"]

    assert asyncio.run(kb.other_section_async("swap sizes please", swaps)) is None


def test_the_demo_change_article_answers_an_order_already_shipped_from_its_next_section(
    demo_kb: KnowledgeBase,
) -> None:
    (faq,) = demo_kb.search("Is it possible to change the delivery address after ordering?", 1)
    assert faq.question is not None  # the FAQ entry answers the first question

    other = asyncio.run(
        demo_kb.other_section_async("what if it already shipped", faq, only_if_closer=True)
    )

    assert other is not None and other.section == "After the first hour"


def test_a_section_closer_than_the_one_shown_is_found_only_when_it_is_closer(
    demo_kb: KnowledgeBase,
) -> None:
    (where,) = demo_kb.search("do you ship to canada", 1)
    assert where.section == "Do you ship outside the United States?"

    costs = asyncio.run(demo_kb.other_section_async("how much is it", where, only_if_closer=True))
    same = asyncio.run(
        demo_kb.other_section_async("do you ship to canada", where, only_if_closer=True)
    )

    assert costs is not None and costs.section == "Delivery times and costs"
    assert same is None  # the section shown answers that best


def test_a_detail_of_the_section_just_shown_finds_no_closer_section(
    demo_kb: KnowledgeBase,
) -> None:
    (shown,) = demo_kb.search("how does pay in 4 work", 1)
    assert "$50 or more" in shown.text

    assert (
        asyncio.run(demo_kb.other_section_async("whats the minimum?", shown, only_if_closer=True))
        is None
    )


@pytest.mark.parametrize("follow_up", ["why?", "and then?", "say that again", "are you sure?"])
def test_a_follow_up_with_nothing_of_its_own_finds_no_other_section(
    demo_kb: KnowledgeBase, follow_up: str
) -> None:
    (shown,) = demo_kb.search("how long do refunds take", 1)

    assert asyncio.run(demo_kb.other_section_async(follow_up, shown, only_if_closer=True)) is None


def test_a_passage_of_an_older_version_finds_no_other_section(kb: KnowledgeBase) -> None:
    (shown,) = [p for p in kb.search("refund timing", k=10) if "refunds" in p.article]
    gone = dataclasses.replace(shown, chunk_id=-1)  # not in the version now loaded

    assert asyncio.run(kb.other_section_async("which card", gone, only_if_closer=True)) is None
