"""An index written before catalogue format 2 opens, is upgraded and answers."""

import logging
import sqlite3
from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from knowledge.base import document_id_for
from knowledge.catalogue import FORMAT, MAX_VIEWS
from tests.support.encoders import RecordingEncoder
from tests.support.old_catalogue import OldChunk, write_format_1_index


def test_an_old_index_is_embedded_again_with_the_new_views(tmp_path: Path) -> None:
    article = tmp_path / "parcels.md"
    article.write_text("# Parcels\n\n## My parcel is late\n\nWe chase the carrier.\n")
    index = tmp_path / "index"
    old = [OldChunk("Parcels", "My parcel is late", "We chase the carrier.")]
    write_format_1_index(index, document_id_for(article), article.resolve(), old)

    encoder = RecordingEncoder()
    kb = KnowledgeBase.open(index, encoder)
    assert "My parcel is late: We chase the carrier." in encoder.texts  # a new view
    (document,) = kb.list_documents()
    assert not document.content_hash.startswith("stale:") and document.language == "en"
    (hit,) = kb.search("parcel late carrier", k=1)
    assert (hit.section, hit.article) == ("My parcel is late", str(article.resolve()))
    with sqlite3.connect(index / "catalogue.sqlite3") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (
            str(FORMAT),
        )
    kb.close()
    again = RecordingEncoder()
    KnowledgeBase.open(index, again).close()
    assert again.texts == []  # upgraded once


def test_a_document_whose_file_is_gone_keeps_its_old_vectors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = tmp_path / "faq.csv"  # never written: the file is gone
    index = tmp_path / "index"
    old = [
        OldChunk("Faq", "Do you ship abroad?", "Yes, to Canada.", question="Do you ship abroad?"),
        OldChunk("Faq", "Opening hours", "Nine to five on weekdays."),
    ]
    write_format_1_index(index, document_id_for(gone), gone, old)

    with caplog.at_level(logging.WARNING, logger="knowledge"):
        kb = KnowledgeBase.open(index, RecordingEncoder())
    assert "faq.csv" in caplog.text and "old views" in caplog.text
    ids, _ = kb._catalogue.all_vectors()
    assert sorted(int(i) % MAX_VIEWS for i in ids) == [0, 0, 1]  # renumbered, none lost
    assert kb.search("ship abroad canada", k=1)[0].text == "Yes, to Canada."
    assert kb.search("opening hours weekdays", k=1)[0].section == "Opening hours"
    assert kb.languages() == {"en"}
