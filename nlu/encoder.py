"""The port through which the NLU layer gets sentence embeddings.

`bot` hands in `knowledge.embeddings.SentenceEncoder`; tests may hand in a fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["TextEncoder"]


@runtime_checkable
class TextEncoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text."""
        ...

    async def encode_async(self, text: str) -> np.ndarray:
        """One text's unit-length embedding, without blocking the event loop."""
        ...
