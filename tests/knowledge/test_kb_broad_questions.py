"""A question about an article as a whole is shown the article's first section
(knowledge/broad_questions.py); a question about a detail keeps the detail's section;
either way the article, its rank and its scores are what search found."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import KnowledgeBase, Passage
from knowledge.broad_questions import TitleVectors, is_broad
from tests.support.encoders import RecordingEncoder

RETURN_POLICY = "https://help.acme-outfitters.example/returns-and-refunds/return-policy"
EXCHANGES = "https://help.acme-outfitters.example/returns-and-refunds/exchanges"


def _without_the_rule(kb: KnowledgeBase, text: str, monkeypatch: pytest.MonkeyPatch) -> Passage:
    with monkeypatch.context() as patched:
        patched.setattr(
            kb, "_lead_sections", lambda version, query, shown, own, facts: (shown, own)
        )
        return kb.search(text, k=3)[0]


@pytest.mark.parametrize(
    ("text", "article", "section"),
    [
        ("what's your return policy", RETURN_POLICY, "Our return policy"),
        ("how do exchanges work", EXCHANGES, "Can I exchange an item for another size or colour?"),
    ],
)
def test_a_question_about_the_whole_article_gets_its_first_section(
    demo_kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    article: str,
    section: str,
) -> None:
    shown = demo_kb.search(text, k=3)[0]
    found = _without_the_rule(demo_kb, text, monkeypatch)
    assert (shown.article, shown.section) == (article, section)
    assert found.section != section  # a detail's section, before
    assert (shown.score, shown.similarity, shown.own_similarity) == (
        found.score,
        found.similarity,
        found.own_similarity,
    )


def test_a_question_about_a_detail_keeps_the_detail(demo_kb: KnowledgeBase) -> None:
    shown = demo_kb.search("i wore my boots on a muddy hike, can i still send them back", k=3)[0]
    assert shown.article == RETURN_POLICY
    assert shown.section == "Worn or used items"


def test_broad_needs_the_title_close_and_closer_than_the_section() -> None:
    assert is_broad(0.92, 0.63)
    assert not is_broad(0.72, 0.68)  # nearer the title, but not clearly
    assert not is_broad(0.65, 0.30)  # not close enough to the title at all


def test_each_title_is_encoded_once() -> None:
    encoder = RecordingEncoder()
    titles = TitleVectors(encoder.encode)
    query = encoder.encode(["return policy"])[0]
    first = titles.similarities(query, ["Return policy", "Exchanges"])
    again = titles.similarities(query, ["Return policy"])
    assert encoder.batches[1:] == [["Return policy", "Exchanges"]]  # the query was batch 0
    assert first["Return policy"] == again["Return policy"] == pytest.approx(1.0)
    assert first["Exchanges"] == pytest.approx(
        float(np.dot(query, encoder.encode(["Exchanges"])[0]))
    )
