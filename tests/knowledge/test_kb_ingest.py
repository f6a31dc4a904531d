import logging
from pathlib import Path

import pytest

from knowledge import DocumentNotFound, EmptyQuery, KnowledgeBase
from knowledge.base import NO_TEXT
from tests.support.encoders import RecordingEncoder


def test_ingest_then_search_names_document_section_and_source(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    summary = kb.ingest([help_dir])
    assert (summary.documents_added, summary.chunks) == (2, 3)
    (best, *_) = kb.search("refunds issued business days", k=2)
    assert (best.title, best.section) == ("Refunds", "Timing")
    assert best.source == str((help_dir / "refunds.md").resolve())
    assert best.text == "Refunds are issued within 5 business days."
    assert {d.title for d in kb.list_documents()} == {"Refunds", "Shipping"}


def test_unchanged_documents_cost_nothing_and_changed_ones_are_replaced(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    encoded = len(fake_encoder.texts)

    again = kb.ingest([help_dir])
    assert len(fake_encoder.texts) == encoded  # the encoder was not called
    assert (again.documents_unchanged, again.documents_added, again.chunks) == (2, 0, 0)

    (help_dir / "shipping.md").write_text("# Shipping\n\nExpress shipping takes 1 day.\n")
    changed = kb.ingest([help_dir])
    assert (changed.documents_updated, changed.documents_unchanged) == (1, 1)
    # only the changed document is embedded: with its title, and alone (its views)
    assert fake_encoder.texts[encoded:] == [
        "Shipping — Express shipping takes 1 day.",
        "Express shipping takes 1 day.",
    ]
    texts = [p.text for p in kb.search("shipping takes", k=10)]
    assert "Express shipping takes 1 day." in texts
    assert "Standard shipping takes 3 to 7 days." not in texts
    assert len(kb.list_documents()) == 2


def test_prune_removes_documents_whose_files_are_gone(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    (help_dir / "shipping.md").unlink()
    kept = kb.ingest([help_dir])
    assert kept.documents_removed == 0 and len(kb.list_documents()) == 2
    pruned = kb.ingest([help_dir], prune=True)
    assert pruned.documents_removed == 1
    assert [d.title for d in kb.list_documents()] == ["Refunds"]
    assert all(p.title == "Refunds" for p in kb.search("shipping takes days", k=5))


def test_a_second_article_under_an_articles_url_is_skipped_with_the_reason(
    tmp_path: Path, fake_encoder: RecordingEncoder
) -> None:
    # Two articles under one URL were answered as one article: skipped, and said why.
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    service = "---\nurl: https://help.example/service\n---\n# Servicing\n\nA service is $65.\n"
    (help_dir / "a-service.md").write_text(service)
    winter = "---\nurl: https://help.example/service\n---\n# Winter\n\nIn winter $49.\n"
    (help_dir / "b-winter.md").write_text(winter)
    (help_dir / "faq.csv").write_text(
        "question,answer,url\nDo you service e-bikes?,Yes.,https://help.example/service\n"
    )
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)

    summary = kb.ingest([help_dir])

    (skipped,) = summary.skipped
    assert skipped.path == str((help_dir / "b-winter.md").resolve())
    assert skipped.reason == (
        "its url https://help.example/service is already the url of "
        f"{(help_dir / 'a-service.md').resolve()}"
    )
    assert sorted(d.title for d in kb.list_documents()) == [
        "Frequently asked questions",
        "Servicing",
    ]
    # The same file again is itself, not a duplicate; with a URL of its own it goes in.
    (help_dir / "b-winter.md").write_text(winter.replace("/service", "/winter"))
    again = kb.ingest([help_dir])
    assert again.skipped == () and again.documents_added == 1


def test_a_placeholder_with_an_articles_url_does_not_take_it(
    tmp_path: Path, fake_encoder: RecordingEncoder
) -> None:
    # An empty file (front matter only) is skipped as having no text; the article under
    # the same URL that comes after it is not skipped as its duplicate.
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "a-draft.md").write_text("---\nurl: https://help.example/service\n---\n")
    service = "---\nurl: https://help.example/service\n---\n# Servicing\n\nA service is $65.\n"
    (help_dir / "b-service.md").write_text(service)
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)

    summary = kb.ingest([help_dir])

    assert [(Path(s.path).name, s.reason) for s in summary.skipped] == [("a-draft.md", NO_TEXT)]
    assert [d.title for d in kb.list_documents()] == ["Servicing"]


def test_remove_by_id_and_unknown_id(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    shipping = next(d for d in kb.list_documents() if d.title == "Shipping")
    kb.remove(shipping.document_id)
    assert [d.title for d in kb.list_documents()] == ["Refunds"]
    with pytest.raises(DocumentNotFound):
        kb.remove("nope")


def test_binary_and_undecodable_files_are_skipped_with_a_warning(
    tmp_path: Path,
    help_dir: Path,
    fake_encoder: RecordingEncoder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (help_dir / "logo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (help_dir / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        summary = kb.ingest([help_dir, tmp_path / "missing.md"])
    assert summary.documents_added == 2
    assert len(summary.skipped) == 3
    for name in ("logo.md", "latin1.txt", "missing.md"):
        assert any(name in record.getMessage() for record in caplog.records), name


def test_a_crash_mid_ingest_leaves_the_previous_index_usable(
    tmp_path: Path, help_dir: Path
) -> None:
    index = tmp_path / "index"
    kb = KnowledgeBase.open(index, RecordingEncoder())
    kb.ingest([help_dir])
    before = [(p.chunk_id, p.text) for p in kb.search("refunds issued", k=3)]
    kb.close()

    (help_dir / "refunds.md").write_text("# Refunds\n\nRefunds now take 9 days.\n")
    (help_dir / "new.md").write_text("# New\n\nSomething new.\n")
    crashing = KnowledgeBase.open(index, RecordingEncoder(fail_after=0))
    with pytest.raises(RuntimeError, match="encoder crashed"):
        crashing.ingest([help_dir])
    crashing.close()

    reopened = KnowledgeBase.open(index, RecordingEncoder())
    assert [(p.chunk_id, p.text) for p in reopened.search("refunds issued", k=3)] == before
    assert len(reopened.list_documents()) == 2
    assert reopened.ingest([help_dir]).documents_updated == 1  # the change is still pending


def test_a_crash_while_writing_the_index_keeps_the_old_generation(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge.index import VectorIndex

    index = tmp_path / "index"
    kb = KnowledgeBase.open(index, RecordingEncoder())
    kb.ingest([help_dir])
    (help_dir / "new.md").write_text("# New\n\nSomething new.\n")

    def broken_save(self: VectorIndex, path: Path) -> None:
        path.write_bytes(b"half written")
        raise OSError("disk full")

    monkeypatch.setattr(VectorIndex, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        kb.ingest([help_dir])
    monkeypatch.undo()
    kb.close()
    reopened = KnowledgeBase.open(index, RecordingEncoder())
    assert len(reopened.list_documents()) == 2
    assert reopened.search("refunds issued", k=1)[0].section == "Timing"
    # The half-written newer file is left alone (it could be another process's ingest in
    # progress); it is not used, and the next successful ingest writes over it.
    assert reopened.search("something new", k=1)[0].title != "New"
    reopened.ingest([help_dir])
    assert sorted(p.name for p in index.glob("vectors-*")) == ["vectors-2.faiss"]
    assert reopened.search("something new", k=1)[0].title == "New"


def test_empty_query_is_a_value_error_and_long_queries_are_truncated(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    kb.ingest([help_dir])
    with pytest.raises(EmptyQuery):
        kb.search("   ")
    with pytest.raises(ValueError):
        kb.search("")
    kb.search("refunds " * 1000, k=1)
    assert len(fake_encoder.batches[-1][0]) == 2000


def test_hnsw_index_is_used_above_the_cutoff(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder, hnsw_min_vectors=2)
    kb.ingest([help_dir])
    assert kb._index.kind == "hnsw"
    assert kb.search("refunds issued business days", k=1)[0].section == "Timing"


def test_a_running_server_sees_what_another_process_ingested(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    """The server's KB and `switchboard kb ingest` are two handles on one index dir."""
    serving = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    assert serving.is_empty()
    writer = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    writer.ingest([help_dir])

    (best, *_) = serving.search("refunds issued business days", k=1)
    assert best.text == "Refunds are issued within 5 business days."
    # A newer, not yet committed generation file is never taken for stale.
    (tmp_path / "index" / "vectors-99.faiss").write_bytes(b"in progress elsewhere")
    KnowledgeBase.open(tmp_path / "index", fake_encoder)
    assert (tmp_path / "index" / "vectors-99.faiss").exists()


def test_a_new_version_is_announced_and_loaded_whole_when_told(
    tmp_path: Path, help_dir: Path, fake_encoder: RecordingEncoder
) -> None:
    """The ingesting handle announces each version it commits (bot/wiring passes it on
    to every process); another handle told of it loads that version before any search."""
    serving = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    writer = KnowledgeBase.open(tmp_path / "index", fake_encoder)
    announced: list[int] = []
    writer.on_publish(announced.append)
    writer.ingest([help_dir])
    assert announced == [1]

    assert serving.load_current_version() == 1
    index = serving._loaded.index
    assert index.size == writer._index.size > 0
    writer.remove_many([d.document_id for d in writer.list_documents()])
    assert announced == [1, 2]
    assert serving.load_current_version() == 2 and serving._index.size == 0


def test_an_empty_help_file_is_listed_not_ingested(
    tmp_path: Path, fake_encoder: RecordingEncoder
) -> None:
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    (help_dir / "refunds.md").write_text("# Refunds\n\nRefunds take 5 days.\n")
    (help_dir / "empty.md").write_text("")
    kb = KnowledgeBase.open(tmp_path / "index", fake_encoder)

    summary = kb.ingest([help_dir])

    assert [(s.path, s.reason) for s in summary.skipped] == [
        (str((help_dir / "empty.md").resolve()), "no text to answer from")
    ]
    assert [d.title for d in kb.list_documents()] == ["Refunds"]
