"""Features for intent classification: the sentence embedding (weighted) beside
TF-IDF character n-grams and word uni/bi-grams. The embedding carries meaning; the
n-grams carry the exact wording (product names, typos, banking jargon)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["SentenceFeatures"]


class SentenceFeatures:
    def __init__(self, embedding_weight: float = 1.0) -> None:
        self.embedding_weight = embedding_weight
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=True
        )
        self._words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True,
            token_pattern=r"(?u)\b\w+\b",
        )  # fmt: skip

    def fit_transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        chars = self._chars.fit_transform(texts)
        words = self._words.fit_transform(texts)
        return self._stack(embeddings, chars, words)

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sparse.csr_matrix:
        return self._stack(embeddings, self._chars.transform(texts), self._words.transform(texts))

    def _stack(
        self, embeddings: np.ndarray, chars: sparse.spmatrix, words: sparse.spmatrix
    ) -> sparse.csr_matrix:
        dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight)
        return sparse.hstack([dense, chars, words], format="csr", dtype=np.float32)
