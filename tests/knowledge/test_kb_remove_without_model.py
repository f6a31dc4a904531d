"""`switchboard kb remove` encodes nothing, so it does not load the sentence model: it
opens the knowledge base on its stored vectors and publishes the next version as an
ingest does, which another process then loads; only an older catalogue format, whose
documents must be embedded again, still needs the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli.kb import kb
from crm_store import wakeups
from knowledge import KnowledgeBase
from knowledge.base import document_id_for
from knowledge.stored_vectors import open_stored
from tests.support.encoders import RecordingEncoder
from tests.support.old_catalogue import OldChunk, write_format_1_index


def _no_model(*_: Any) -> Any:
    raise AssertionError("the sentence model was loaded")


def test_remove_publishes_a_version_the_servers_load_without_loading_the_model(
    tmp_path: Path, help_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SWITCHBOARD_KNOWLEDGE__INDEX_DIR", raising=False)
    runner = CliRunner()
    ingested = runner.invoke(kb, ["ingest", str(help_dir)], obj={"encoder": RecordingEncoder()})
    assert ingested.exit_code == 0, ingested.output
    index_dir = tmp_path / "data" / "knowledge"
    # A server's knowledge base, open on the same directory with its own encoder.
    server = KnowledgeBase.open(index_dir, RecordingEncoder())
    before = server.load_current_version()
    assert {p.title for p in server.search("refunds gift cards shipping days", k=5)} == {
        "Refunds",
        "Shipping",
    }
    published: list[tuple[str, str]] = []
    monkeypatch.setattr(
        wakeups, "notify_now", lambda _url, topic, key="": published.append((topic, key))
    )
    monkeypatch.setattr("bot.wiring.bootstrap.open_encoder", _no_model)

    refunds = document_id_for((help_dir / "refunds.md").resolve())
    removed = runner.invoke(kb, ["remove", refunds])  # no encoder handed in either

    assert removed.exit_code == 0, removed.output
    assert removed.stdout == f"removed {refunds}\n"
    assert "loading the sentence model" not in removed.stderr
    assert published == [(wakeups.KNOWLEDGE_VERSION, str(before + 1))]
    assert server.load_current_version() == before + 1  # as told by the wake-up
    hits = server.search("refunds gift cards shipping days", k=5)
    assert [p.title for p in hits] == ["Shipping"]
    assert server._index.size == server._index.vector_ids().size > 0
    assert sorted(index_dir.glob("vectors-*.faiss")) == [index_dir / f"vectors-{before + 1}.faiss"]
    server.close()

    missing = runner.invoke(kb, ["remove", refunds])
    assert missing.exit_code == 1 and "no document" in missing.output


def test_an_older_catalogue_still_loads_the_model_to_embed_its_documents_again(
    tmp_path: Path,
) -> None:
    article = tmp_path / "parcels.md"
    article.write_text("# Parcels\n\n## My parcel is late\n\nWe chase the carrier.\n")
    index_dir = tmp_path / "index"
    old = [OldChunk("Parcels", "My parcel is late", "We chase the carrier.")]
    write_format_1_index(index_dir, document_id_for(article), article.resolve(), old)
    assert open_stored(index_dir) is None  # stale documents: the model is needed
    assert open_stored(tmp_path / "nothing-here") is None  # no catalogue: nothing to read
    assert not (tmp_path / "nothing-here").exists()

    upgraded = KnowledgeBase.open(index_dir, RecordingEncoder())  # embeds them again
    upgraded.close()
    stored = open_stored(index_dir)
    assert stored is not None
    stored.remove(document_id_for(article))
    assert stored.is_empty()
    stored.close()
