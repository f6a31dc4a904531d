"""Confidence calibration (temperature scaling) and the out-of-scope threshold.

The threshold is an operating point chosen for a stated in-scope cost: the share of
messages the model does know that may go to the fallback (`max_in_scope_fallback`,
3% by default). It is read off the P(in scope) scores of in-scope training messages
scored by models that never saw them (k-fold, nlu/classifier.py), so the stated cost
is measured, not hoped for. The rule it replaced (`choose_threshold`, best in-scope
plus out-of-scope rate with up to 10% of in-scope turned away) is kept because the
benchmark prints it beside the new point in the same run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "OperatingPoint",
    "check_fallback_share",
    "choose_threshold",
    "fallback_threshold",
    "fit_temperature",
    "softmax",
]


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


def check_fallback_share(share: float) -> float:
    """`share` if it is a usable in-scope fallback share (0 < share < 0.5), else ValueError.

    Half or more of the known messages falling back is not an operating point anyone
    wants, and a value like 3 is someone meaning 3%: both are refused, not clamped."""
    if not 0.0 < share < 0.5:
        raise ValueError(
            f"max_in_scope_fallback is the share of in-scope messages that may fall back, "
            f"between 0 and 0.5 exclusive (0.03 means 3%); got {share!r}"
        )
    return share


@dataclass(frozen=True)
class OperatingPoint:
    """Where the out-of-scope threshold sits, and what it costs on held-out messages."""

    threshold: float
    max_in_scope_fallback: float  # the stated cost the threshold was picked for
    held_out_fallback_rate: float  # what it measured: held-out in-scope messages below it
    held_out_messages: int


def fallback_threshold(in_scope_scores: np.ndarray, max_in_scope_fallback: float) -> OperatingPoint:
    """The highest threshold at which at most `max_in_scope_fallback` of the held-out
    in-scope scores fall below it (a message falls back when its score is below).

    With n scores sorted, the (floor(share * n))-th smallest is that threshold: only the
    scores before it are below it (ties only lower the count). No scores: threshold 0,
    nothing falls back, since there is nothing to measure a cost on."""
    check_fallback_share(max_in_scope_fallback)
    scores = np.sort(np.asarray(in_scope_scores, dtype=np.float64))
    if len(scores) == 0:
        return OperatingPoint(0.0, max_in_scope_fallback, 0.0, 0)
    threshold = float(scores[int(np.floor(max_in_scope_fallback * len(scores)))])
    rate = float(np.mean(scores < threshold))
    return OperatingPoint(threshold, max_in_scope_fallback, rate, len(scores))


def choose_threshold(
    in_scope_confidence: np.ndarray,
    in_scope_correct: np.ndarray,
    out_of_scope_confidence: np.ndarray,
    in_scope_weight: float = 1.0,
    max_in_scope_rejection: float = 0.10,
) -> float:
    """The earlier rule, now the benchmark's reference: the score below which a message
    is out of scope.

    Maximises (in-scope messages accepted and right) + (out-of-scope messages rejected),
    each as a rate, among thresholds that turn away at most `max_in_scope_rejection` of
    the in-scope messages. With no out-of-scope examples it rejects the least confident
    2% of in-scope.
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
