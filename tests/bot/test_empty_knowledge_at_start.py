"""A server starting on an empty knowledge base says so once, as production does on its
first start (no demo help centre there): otherwise its bot answers every help question
with its fallback and nothing says why."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.wiring.bootstrap import open_knowledge
from knowledge.embeddings import SentenceEncoder
from tests.support.prepared import PreparedState

EMPTY = "the knowledge base is empty"


def _open(data_dir: Path, encoder: SentenceEncoder) -> None:
    settings = Settings(data_dir=data_dir, knowledge={"ingest_demo": False})
    open_knowledge(settings, encoder).close()


def test_an_empty_knowledge_base_is_a_warning_that_names_the_command(
    tmp_path: Path, encoder: SentenceEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.wiring.bootstrap"):
        _open(tmp_path, encoder)
    (said,) = [r for r in caplog.records if r.getMessage().startswith(EMPTY)]
    assert said.levelno == logging.WARNING
    assert "switchboard kb ingest" in said.getMessage()


def test_a_knowledge_base_with_articles_says_nothing_of_the_kind(
    tmp_path: Path,
    encoder: SentenceEncoder,
    prepared: PreparedState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data_dir = prepared.seed(tmp_path / "data")
    with caplog.at_level(logging.INFO, logger="bot.wiring.bootstrap"):
        _open(data_dir, encoder)
    assert not [r for r in caplog.records if r.getMessage().startswith(EMPTY)]
