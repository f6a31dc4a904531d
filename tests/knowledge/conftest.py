"""Knowledge fixtures: the real encoder once per session, a demo KB, a fast fake encoder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.help_centre import ensure_demo_knowledge
from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from tests.support.encoders import RecordingEncoder


@pytest.fixture(scope="session")
def torch_encoder() -> Iterator[SentenceEncoder]:
    """The same model on the PyTorch backend (the session `encoder` is on ONNX Runtime)."""
    real = SentenceEncoder(backend="torch")
    yield real
    real.close()


@pytest.fixture(scope="session")
def int8_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding one int8 export, made by the first encoder that asks."""
    cache = tmp_path_factory.mktemp("int8") / "cache"
    SentenceEncoder(backend="onnx-int8", cache_dir=cache).close()
    return cache


@pytest.fixture(scope="session")
def int8_encoder(int8_cache: Path) -> Iterator[SentenceEncoder]:
    """The int8 ONNX backend, on the export in `int8_cache`."""
    encoder = SentenceEncoder(backend="onnx-int8", cache_dir=int8_cache)
    yield encoder
    encoder.close()


@pytest.fixture(params=["onnx", "torch"])
def any_encoder(
    request: pytest.FixtureRequest, encoder: SentenceEncoder, torch_encoder: SentenceEncoder
) -> SentenceEncoder:
    """Each backend in turn."""
    return encoder if request.param == "onnx" else torch_encoder


@pytest.fixture(scope="session")
def demo_kb(encoder: SentenceEncoder, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("demo-kb"), encoder)
    ensure_demo_knowledge(kb)
    return kb


@pytest.fixture
def fake_encoder() -> RecordingEncoder:
    return RecordingEncoder()


@pytest.fixture
def help_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "refunds.md").write_text(
        "# Refunds\n\n## Timing\n\nRefunds are issued within 5 business days.\n\n"
        "## Exceptions\n\nGift cards cannot be refunded.\n"
    )
    (folder / "shipping.md").write_text("# Shipping\n\nStandard shipping takes 3 to 7 days.\n")
    return folder
