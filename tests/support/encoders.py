"""Small deterministic encoders for tests where the real sentence model is not the point.

Both are bags of hashed words at unit length, so texts sharing words lie close; each
keeps what it was asked to encode.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIMENSION = 64


class HashingEncoder:
    """Bag of hashed words, unit length. Records what it was asked to encode."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in re.findall(r"\w+", text.lower()):
                row[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIMENSION] += 1.0
            norm = float(np.linalg.norm(row))
            row /= norm or 1.0
        return rows

    async def encode_async(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class RecordingEncoder:
    """Bag-of-words hashing vectors; records every batch it was asked to encode.
    `fail_after` batches makes it raise, to simulate a crash mid-ingest."""

    dimension = DIMENSION

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
