"""How customers ask (front matter `asked:`): parsed, attached to the chunk that
answers it, searchable, never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from knowledge import KnowledgeBase
from knowledge.asked_views import ASKED_WEIGHT, attach_asked
from knowledge.catalogue import MAX_VIEWS
from knowledge.chunking import TEXT_VIEWS, chunk_document
from knowledge.embeddings import SentenceEncoder
from knowledge.sources import parse_document
from tests.support.encoders import RecordingEncoder

REFUNDS = """---
title: Refunds
url: https://help.example/refunds
asked:
  - wheres my money, i sent the coat back ages ago
  - "can i get cash instead of a card refund"
  -
  - wheres my money, i sent the coat back ages ago
language: en
---
# Refunds

## How long do refunds take?

We refund within 5 business days of receiving your return. Your bank may take
another 3 to 5 days to show it.

## How you are refunded

Refunds go back to the original payment method. Gift card purchases are refunded
as store credit.
"""


def test_front_matter_lists_how_customers_ask_and_keeps_its_other_keys() -> None:
    document = parse_document(Path("refunds.md"), REFUNDS.encode())
    assert document.asked == (
        "wheres my money, i sent the coat back ages ago",  # once, though listed twice
        "can i get cash instead of a card refund",  # quotes stripped; the empty item gone
    )
    assert document.url == "https://help.example/refunds"
    assert document.language == "en"  # a key after the list is still read
    assert [s.heading for s in document.sections] == [
        "How long do refunds take?",
        "How you are refunded",
    ]


def test_a_list_on_one_line_is_not_read_and_the_author_is_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "---\ntitle: Refunds\nasked: [when is my refund, money back?]\n---\n# Refunds\n\nText.\n"
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        document = parse_document(Path("refunds.md"), text.encode())
    assert document.asked == ()
    assert "refunds.md: write `asked:` alone on its line" in caplog.text

    long = "---\nasked:\n  - " + "why " * 80 + "\n  - when is my refund\n---\nText.\n"
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        document = parse_document(Path("long.md"), long.encode())
    assert document.asked == ("when is my refund",)
    assert "long.md: `asked:` lines over 300 characters are not read" in caplog.text


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_phrasing_goes_to_its_closest_chunk_and_spills_over_when_that_is_full(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = parse_document(Path("refunds.md"), REFUNDS.encode())
    chunks = chunk_document(document, views=TEXT_VIEWS)
    timing, method = _unit(1, 0, 0), _unit(0, 1, 0)
    embeddings = [timing[None, :].repeat(MAX_VIEWS - 1, 0), method[None, :]]
    asked = ["when", "how soon", "cash?", "card?"]
    vectors = np.stack([_unit(1, 0.1, 0), _unit(1, 0.2, 0), _unit(0.1, 1, 0), _unit(0, 1, 1)])
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        new_chunks, new_embeddings = attach_asked(
            chunks, embeddings, asked, vectors, MAX_VIEWS, "refunds.md"
        )
    # the timing chunk had room for one; "how soon" spilled to the next closest chunk
    assert new_chunks[0].views[-1] == "when" and new_chunks[0].view_kinds[-1] == "asked"
    assert new_chunks[1].views[1:] == ("how soon", "cash?", "card?")
    assert [len(v) for v in new_embeddings] == [MAX_VIEWS, 4]
    assert np.allclose(new_embeddings[1][1:], ASKED_WEIGHT * vectors[1:])  # scored at 0.8
    assert new_chunks[0].text == chunks[0].text  # what is shown does not change
    assert not caplog.records

    full = [timing[None, :].repeat(MAX_VIEWS, 0), method[None, :].repeat(MAX_VIEWS - 1, 0)]
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        kept, _ = attach_asked(chunks, full, asked, vectors, MAX_VIEWS, "refunds.md")
    assert kept[1].views[-1] == "when"  # the closest phrasing to a chunk with room
    assert "refunds.md: 3 of its 4 `asked` phrasings did not fit" in caplog.text


def test_a_customer_asking_their_way_finds_the_section_that_answers(
    tmp_path: Path, encoder: SentenceEncoder
) -> None:
    (tmp_path / "refunds.md").write_text(REFUNDS)
    kb = KnowledgeBase.open(tmp_path / "index", encoder)
    kb.ingest([tmp_path / "refunds.md"])
    (hit,) = kb.search("could i have cash rather than money back on my visa", k=1)
    assert hit.section == "How you are refunded"
    assert "cash" not in hit.text  # the phrasing leads to the passage, it is never shown

    plain = KnowledgeBase.open(tmp_path / "plain", encoder, views=TEXT_VIEWS)
    plain.ingest([tmp_path / "refunds.md"])
    (before,) = plain.search("could i have cash rather than money back on my visa", k=1)
    assert hit.similarity > before.similarity + 0.1  # matched to the customer's own words


SENDING_BACK = """---
title: Sending back
url: https://help.example/sending-back
asked:
  - refunded charge what does sending a return cost
---
# Sending back

## Free inside the country

Returns cost nothing inside the country.

## The original charge

The original charge is refunded when the item came damaged.
"""


def test_an_article_found_through_a_phrasing_shows_the_section_that_answers(
    tmp_path: Path, fake_encoder: RecordingEncoder
) -> None:
    """The phrasing shares more words with the second section, so it is stored there;
    the question it matches is answered by the first, and that one is shown."""
    (tmp_path / "sending-back.md").write_text(SENDING_BACK)
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([tmp_path / "sending-back.md"])
    (asked_view,) = kb._catalogue.vector_ids_of_kind("asked")
    sections = dict(kb._catalogue._db.execute("SELECT id, section FROM chunks"))
    assert sections[asked_view // MAX_VIEWS] == "The original charge"

    (hit,) = kb.search("what does sending a return cost", k=1)
    assert hit.section == "Free inside the country"
    assert hit.similarity > 0.6  # the phrasing's match, not the section's own
    assert hit.own_similarity is not None and hit.own_similarity < 0.3  # its own words

    (plain,) = kb.search("original charge refunded damaged", k=1)
    assert plain.section == "The original charge" and plain.own_similarity is None


def test_a_section_found_by_its_own_words_carries_no_own_similarity(
    demo_kb: KnowledgeBase,
) -> None:
    """The index's scores and the vectors read back differ in the last float32 digits;
    that is not a phrasing beating the text."""
    for question in ("how long do refunds take", "do you ship to canada", "reset my password"):
        for passage in demo_kb.search(question, k=3):
            if passage.own_similarity is not None:
                assert passage.own_similarity < passage.similarity - 1e-4, question
