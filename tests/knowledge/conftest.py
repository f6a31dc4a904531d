"""Knowledge fixtures: the real encoder once per session, a demo KB, a fast fake encoder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from demo.help_centre import ensure_demo_knowledge
from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder


class RecordingEncoder:
    """Bag-of-words hashing vectors; records every batch it was asked to encode.
    `fail_after` batches makes it raise, to simulate a crash mid-ingest."""

    dimension = 64

    def __init__(self, fail_after: int | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_after = fail_after

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise RuntimeError("encoder crashed")
        self.batches.append(list(texts))
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in re.findall(r"\w+", text.lower()):
                row[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1
            row /= max(float(np.linalg.norm(row)), 1e-9)
        return rows

    async def encode_async(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    @property
    def texts(self) -> list[str]:
        return [text for batch in self.batches for text in batch]


@pytest.fixture(scope="session")
def torch_encoder() -> Iterator[SentenceEncoder]:
    """The same model on the PyTorch backend (the session `encoder` is on ONNX Runtime)."""
    real = SentenceEncoder(backend="torch")
    yield real
    real.close()


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
