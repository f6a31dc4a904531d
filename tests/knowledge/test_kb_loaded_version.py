"""What a process keeps in memory of a knowledge base version (knowledge.loaded_version):
read once, the same as the catalogue says, and thrown away when a new version is
published, here or by another handle on the same index (another process)."""

import threading
from pathlib import Path

import faiss
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


def _version_holding(
    tmp_path: Path, help_dir: Path, encoder: RecordingEncoder, **held: int
) -> tuple[LoadedVersion, Catalogue, list[int]]:
    """A version of the ingested help centre that keeps at most `held` of something,
    on a catalogue of its own (close it), and its chunks (three)."""
    kb = KnowledgeBase.open(tmp_path / "index", encoder)
    kb.ingest([help_dir])
    loaded = kb._current_index()
    catalogue = Catalogue(tmp_path / "index" / "catalogue.sqlite3")
    version = LoadedVersion(
        loaded.generation, loaded.index, loaded.question_views, catalogue, **held
    )
    chunks = sorted({int(vector) // 8 for vector in version.index.vector_ids()})
    return version, catalogue, chunks


def test_kept_rows_are_bounded(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    version, catalogue, chunks = _version_holding(tmp_path, help_dir, fake_encoder, rows_held=2)
    facts = version.chunk_facts(chunks)
    assert len(facts) == 3 and len(version._rows) == 2
    assert version.chunk_facts(chunks[-1:]) == {chunks[-1]: facts[chunks[-1]]}
    assert version.row_reads == 1  # the latest rows are kept
    version.chunk_facts(chunks[:1])
    assert version.row_reads == 2  # the oldest was let go
    catalogue.close()


def _help_with_every_kind_of_view(folder: Path) -> Path:
    """Articles (text views), an FAQ entry (a question view) and an `asked:` phrasing."""
    folder.mkdir()
    (folder / "refunds.md").write_text(
        "---\nurl: https://help.example/refunds\nasked:\n  - wheres my money\n---\n"
        "# Refunds\n\n## Timing\n\nRefunds are issued within 5 business days.\n"
    )
    (folder / "faq.csv").write_text(
        "question,answer,url\nDo gift cards lapse?,No. They never expire.,"
        "https://help.example/gift-cards\n"
    )
    return folder


def test_kept_views_are_each_kind_the_index_stores_read_once_and_read_only(
    tmp_path: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([_help_with_every_kind_of_view(tmp_path / "help")])
    version = kb._current_index()
    catalogue = Catalogue(tmp_path / "index" / "catalogue.sqlite3")
    ids, vectors = catalogue.all_vectors()
    questions = catalogue.vector_ids_of_kind("question")
    asked = catalogue.vector_ids_of_kind("asked")
    catalogue.close()
    assert questions and asked  # the help centre has both kinds
    chunks = sorted({int(i) // 8 for i in ids})

    def reference(keep: set[int] | None, drop: set[int]) -> dict[int, np.ndarray]:
        found = {}
        for chunk in chunks:
            rows = [
                n
                for n, i in enumerate(ids)
                if int(i) // 8 == chunk and (keep is None or int(i) in keep) and int(i) not in drop
            ]
            if rows:
                found[chunk] = vectors[rows]
        return found

    reads = version.view_reads
    for options, expected in (
        ({}, reference(None, set())),
        ({"questions_only": True}, reference(questions, set())),
        ({"without_asked": True}, reference(None, asked)),
        ({"questions_only": True, "without_asked": True}, reference(questions, asked)),
    ):
        got = version.chunk_vectors([*reversed(chunks), 10_000], **options)
        assert list(got) == list(expected)  # chunk id order; no views, no entry
        for chunk, views in got.items():
            assert np.array_equal(views, expected[chunk])
            assert not views.flags.writeable  # shared by every search of the version
    assert version.view_reads == reads + 1  # one read of the index for all of them
    first = kb.search("refunds issued business days", k=2)
    assert kb.search("refunds issued business days", k=2) == first
    assert version.view_reads == reads + 1


def test_kept_views_are_bounded(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    version, catalogue, chunks = _version_holding(tmp_path, help_dir, fake_encoder, views_held=2)
    every = version.chunk_vectors(chunks)
    assert len(every) == 3 and len(version._views) == 2
    assert np.array_equal(version.chunk_vectors(chunks[-1:])[chunks[-1]], every[chunks[-1]])
    assert version.view_reads == 1  # the latest are kept
    version.chunk_vectors(chunks[:1])
    assert version.view_reads == 2  # the oldest was let go
    catalogue.close()


def test_a_new_version_answers_with_its_own_views_not_the_kept_ones(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    """Views kept for one version go with it: after an ingest changes an article, the
    search scores its new chunk from the new vectors (the similarity a fresh handle on
    the same index gives), and the old version's views are not asked."""
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    (before,) = kb.search("standard shipping days", k=1)
    old = kb._current_index()
    old.chunk_vectors(sorted({int(i) // 8 for i in old.index.vector_ids()}))  # all kept

    (help_dir / "shipping.md").write_text("# Shipping\n\nExpress shipping takes 1 day.\n")
    kb.ingest([help_dir])
    (after,) = kb.search("standard shipping days", k=1)
    new = kb._current_index()
    assert new is not old and after.text == "Express shipping takes 1 day."
    assert after.chunk_id not in old._views  # its views were never in the old version's
    fresh = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    (reference,) = fresh.search("standard shipping days", k=1)
    assert (after.chunk_id, after.similarity) == (reference.chunk_id, reference.similarity)
    assert after.similarity != before.similarity


def test_a_search_runs_faiss_on_one_thread_and_leaves_the_threads_count_as_it_was(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    """In a worker thread, as the server searches (`asyncio.to_thread`): OpenMP's count
    is per thread, so the search sets its own and puts it back."""
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    index = kb._current_index().index
    seen: list[int] = []
    faiss_search = index._index.search

    def search(*args: object) -> object:
        seen.append(faiss.omp_get_max_threads())
        return faiss_search(*args)

    index._index.search = search
    found: list[object] = []

    def in_a_worker() -> None:
        faiss.omp_set_num_threads(3)
        found.append(kb.search("refunds issued business days", k=1))
        found.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=in_a_worker)
    worker.start()
    worker.join()
    assert seen == [1]
    assert found[0][0].text.startswith("Refunds are issued")  # type: ignore[index]
    assert found[1] == 3
