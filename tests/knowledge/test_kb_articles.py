"""Search answers per article: the best chunk of each, k different articles."""

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
