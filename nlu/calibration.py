"""Confidence calibration (temperature scaling) and the out-of-scope threshold."""

from __future__ import annotations

import numpy as np

__all__ = ["choose_threshold", "fit_temperature", "softmax"]


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of held-out labels."""
    if len(labels) == 0:
        return 1.0
    candidates = np.exp(np.linspace(np.log(0.05), np.log(20.0), 200))
    rows = np.arange(len(labels))
    losses = [-np.log(softmax(logits, float(t))[rows, labels] + 1e-12).mean() for t in candidates]
    return float(candidates[int(np.argmin(losses))])


def choose_threshold(
    in_scope_confidence: np.ndarray,
    in_scope_correct: np.ndarray,
    out_of_scope_confidence: np.ndarray,
    in_scope_weight: float = 1.0,
    max_in_scope_rejection: float = 0.10,
) -> float:
    """The score below which a message is out of scope.

    Maximises (in-scope messages accepted and right) + (out-of-scope messages rejected),
    each as a rate, among thresholds that turn away at most `max_in_scope_rejection` of
    the in-scope messages (a support bot that hands off too often is no help either).
    With no out-of-scope examples it rejects the least confident 2% of in-scope.
    """
    if len(out_of_scope_confidence) == 0:
        return float(np.quantile(in_scope_confidence, 0.02)) if len(in_scope_confidence) else 0.0
    candidates = np.unique(np.concatenate([in_scope_confidence, out_of_scope_confidence]))
    ceiling = np.quantile(in_scope_confidence, max_in_scope_rejection)
    candidates = candidates[candidates <= ceiling]
    best, best_score = 0.0, -np.inf
    for threshold in candidates:
        kept_right = np.mean((in_scope_confidence >= threshold) & in_scope_correct)
        rejected = np.mean(out_of_scope_confidence < threshold)
        score = in_scope_weight * kept_right + rejected
        if score > best_score:
            best, best_score = float(threshold), score
    return best
