"""What a process keeps in memory of a knowledge base version (knowledge.loaded_version):
read once, the same as the catalogue says, and thrown away when a new version is
published, here or by another handle on the same index (another process)."""

from pathlib import Path

import numpy as np

from knowledge import KnowledgeBase
from knowledge.catalogue import Catalogue
from knowledge.loaded_version import LoadedVersion
from tests.support.encoders import RecordingEncoder


def _stored_views(index_dir: Path, chunk: int) -> np.ndarray:
    """A chunk's views as the catalogue stores them (the reference)."""
    catalogue = Catalogue(index_dir / "catalogue.sqlite3")
    ids, vectors = catalogue.all_vectors()
    catalogue.close()
    return vectors[(ids >= chunk * 8) & (ids < chunk * 8 + 8)]


def test_a_searched_version_is_read_from_memory_and_matches_the_catalogue(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    first = kb.search("refunds issued business days", k=2)
    version = kb._current_index()
    reads = version.row_reads
    assert kb.search("refunds issued business days", k=2) == first
    assert version.row_reads == reads  # the second search read no chunk rows

    chunk = first[0].chunk_id
    views = version.chunk_vectors([chunk, 10_000])  # an unknown chunk has no views
    assert list(views) == [chunk]
    assert np.array_equal(views[chunk], _stored_views(tmp_path / "index", chunk))
    assert version.chunk_facts([chunk])[chunk].text == first[0].text


def test_a_version_published_by_another_handle_is_searched_at_once(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    """The serving handle has the old text in memory; another process replaces the
    document; the very next search answers from the new version, not the kept rows."""
    serving = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    writer = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    writer.ingest([help_dir])
    (before,) = serving.search("standard shipping days", k=1)
    assert before.text == "Standard shipping takes 3 to 7 days."
    old = serving._current_index()

    (help_dir / "shipping.md").write_text("# Shipping\n\nExpress shipping takes 1 day.\n")
    writer.ingest([help_dir])
    (after,) = serving.search("shipping takes days", k=1)
    assert after.text == "Express shipping takes 1 day."
    assert serving._current_index() is not old
    assert serving._current_index().generation == old.generation + 1

    writer.remove_many([d.document_id for d in writer.list_documents()])
    assert serving.search("shipping takes days", k=1) == []


def test_kept_rows_are_bounded(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    loaded = kb._current_index()
    catalogue = Catalogue(tmp_path / "index" / "catalogue.sqlite3")
    version = LoadedVersion(
        loaded.generation, loaded.index, loaded.question_views, catalogue, rows_held=2
    )
    chunks = sorted({int(vector) // 8 for vector in version.index.vector_ids()})
    facts = version.chunk_facts(chunks)
    assert len(facts) == 3 and len(version._rows) == 2
    assert version.chunk_facts(chunks[-1:]) == {chunks[-1]: facts[chunks[-1]]}
    assert version.row_reads == 1  # the latest rows are kept
    version.chunk_facts(chunks[:1])
    assert version.row_reads == 2  # the oldest was let go
    catalogue.close()
