"""A small deterministic encoder for tests where the real model is not the point."""

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
