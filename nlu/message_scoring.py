"""The fitted intent model's arithmetic for one message, without scikit-learn's per-call
machinery.

A served parse is one message. Through scikit-learn it cost about 0.8 ms of CPU (two
`TfidfVectorizer.transform` calls, each building a sparse matrix, a sparse `hstack`,
`decision_function` and the gate's `predict_proba`, each with their checks), while the
arithmetic is a few thousand multiply-adds: the embedding's dot product with the
weights' dense block plus the weights of the message's n-grams. `MessageScores` reads
the fitted objects' own parameters (vocabularies, idf, coefficients) and computes the
same numbers in numpy: the n-grams come from the vectorizers' own analyzers, the
TF-IDF weighting follows `TfidfTransformer.transform` (sublinear tf, idf, l2 norm,
then float32 as `SentenceFeatures` stacks them). P(in scope) is the gate's own
(`nlu.scope.ScopeGate`, itself computed in numpy). The tests hold it to scikit-learn's
results; batches (training, evaluation) keep scikit-learn.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

__all__ = ["MessageScores"]


class _Terms:
    """One fitted TF-IDF vectorizer's weights for one text, as (columns, values)."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = vectorizer.idf_ if vectorizer.use_idf else None
        self.sublinear = vectorizer.sublinear_tf
        self.binary = vectorizer.binary
        self.norm = vectorizer.norm
        self.width = len(self.vocabulary)

    def weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        vocabulary = self.vocabulary
        counts = Counter(
            column for term in self.analyze(text) if (column := vocabulary.get(term)) is not None
        )
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.binary:
            values[:] = 1.0
        if self.sublinear:
            values = np.log(values) + 1.0
        if self.idf is not None:
            values *= self.idf[columns]
        if self.norm == "l2":
            total = np.sqrt(np.dot(values, values))
        elif self.norm == "l1":
            total = np.abs(values).sum()
        else:
            total = 0.0
        if total > 0:
            values /= total
        return columns, values.astype(np.float32).astype(np.float64)


class MessageScores:
    """Intent logits and P(in scope) of one message, as the fitted models give them."""

    def __init__(
        self,
        embedding_weight: float,
        chars: TfidfVectorizer,
        words: TfidfVectorizer,
        model: LogisticRegression,
    ) -> None:
        self._weight = embedding_weight
        self._chars, self._words = _Terms(chars), _Terms(words)
        coef = np.asarray(model.coef_, dtype=np.float64)
        dense = coef.shape[1] - self._chars.width - self._words.width
        self._dense = np.ascontiguousarray(coef[:, :dense])
        self._char_coef = np.ascontiguousarray(coef[:, dense : dense + self._chars.width])
        self._word_coef = np.ascontiguousarray(coef[:, dense + self._chars.width :])
        self._intercept = np.asarray(model.intercept_, dtype=np.float64)

    @classmethod
    def of(cls, features: Any, model: Any) -> MessageScores | None:
        """For the fitted parts, or None where they are not what this mirrors (a
        two-intent model's single column of logits, another vectorizer)."""
        chars, words = getattr(features, "_chars", None), getattr(features, "_words", None)
        if not (
            isinstance(chars, TfidfVectorizer)
            and isinstance(words, TfidfVectorizer)
            and isinstance(model, LogisticRegression)
            and np.ndim(model.coef_) == 2
            and model.coef_.shape[0] > 1
        ):
            return None
        return cls(features.embedding_weight, chars, words, model)

    def logits(self, text: str, embedding: np.ndarray) -> np.ndarray:
        """One row of logits, shape (1, intents)."""
        dense = (np.asarray(embedding, dtype=np.float32).reshape(-1) * self._weight).astype(
            np.float32
        )
        logits = self._dense @ dense.astype(np.float64) + self._intercept
        for terms, coef in ((self._chars, self._char_coef), (self._words, self._word_coef)):
            columns, values = terms.weights(text)
            if len(columns):
                logits += coef[:, columns] @ values
        return logits.reshape(1, -1)
