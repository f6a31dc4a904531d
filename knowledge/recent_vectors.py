"""The last few sentences' embeddings, so one turn encodes its message once.

A turn reads the customer's message twice with the same model: the NLU parse encodes
it, then the knowledge-base search encodes the same text again (`SentenceEncoder`
serves both). Profiled under bench/scale_out.py that second encoding was half of the
encoder's work; with it served from here a turn costs one sentence of the model.

Decisions: entries are keyed by a SHA-256 digest of the text, not the text, and there
are few of them (the default 256), so the cache keeps no customer's words and an erased
customer's message leaves it within a few hundred turns. The vectors handed out are
read-only: the NLU and the search share one array, and neither may change it for the
other.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

DEFAULT_SIZE = 256


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class RecentVectors:
    """A least-recently-used map from a text to its embedding, safe across threads."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        """The embedding of `text` if it is one of the recent ones, else None."""
        key = _key(text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Keep `vector` as the embedding of `text`; returns it read-only."""
        if self._size <= 0:
            return vector
        kept = np.array(vector, dtype=np.float32, copy=True)
        kept.flags.writeable = False
        with self._lock:
            self._vectors[_key(text)] = kept
            self._vectors.move_to_end(_key(text))
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return kept

    def __len__(self) -> int:
        return len(self._vectors)
