"""NLU fixtures: the real sentence encoder (loaded once per session, ~6 s), a support
model trained on the shipped data with it, and a small deterministic fake encoder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nlu import DEMO_DATA_DIR, NluModel, load_training_data
from tests.support.encoders import HashingEncoder


@pytest.fixture(scope="session")
def sentence_encoder() -> Iterator[object]:
    from knowledge.embeddings import SentenceEncoder

    encoder = SentenceEncoder()
    yield encoder
    encoder.close()


@pytest.fixture(scope="session")
def torch_sentence_encoder() -> Iterator[object]:
    """The same model on the PyTorch backend (`sentence_encoder` runs on ONNX Runtime)."""
    from knowledge.embeddings import SentenceEncoder

    encoder = SentenceEncoder(backend="torch")
    yield encoder
    encoder.close()


@pytest.fixture(scope="session")
def support_model(sentence_encoder: object) -> NluModel:
    return NluModel.train(load_training_data([DEMO_DATA_DIR]), sentence_encoder)  # type: ignore[arg-type]


@pytest.fixture
def fake_encoder() -> HashingEncoder:
    return HashingEncoder()


@pytest.fixture
def write_yaml(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(text: str, name: str = "nlu.yml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
