"""The out-of-scope pieces: nearest same-intent cosine, the gate and the threshold rule."""

from __future__ import annotations

import numpy as np

from nlu.calibration import choose_threshold, fit_temperature, softmax
from nlu.scope import ScopeGate, nearest_same_intent


def test_nearest_same_intent_looks_only_at_the_predicted_intent() -> None:
    examples = np.array([[1, 0], [0.6, 0.8], [0, 1]], dtype=np.float32)  # sorted by label
    labels = np.array([0, 0, 1])
    rows = np.array([[0, 1], [0, 1]], dtype=np.float32)
    cosine = nearest_same_intent(rows, np.array([0, 1]), examples, labels)
    assert np.allclose(cosine, [0.8, 1.0])


def test_nearest_same_intent_equals_the_brute_force_answer() -> None:
    rng = np.random.default_rng(5)
    labels = np.sort(rng.integers(0, 9, size=200))
    labels[:9] = np.arange(9)  # every label present
    labels = np.sort(labels)
    examples = rng.normal(size=(200, 16)).astype(np.float32)
    rows = rng.normal(size=(40, 16)).astype(np.float32)
    predicted = rng.integers(0, 9, size=40)
    expected = [max(float(row @ e) for e, y in zip(examples, labels, strict=True) if y == p)
                for row, p in zip(rows, predicted, strict=True)]  # fmt: skip
    assert np.allclose(nearest_same_intent(rows, predicted, examples, labels), expected, atol=1e-5)
    assert nearest_same_intent(rows[:0], predicted[:0], examples, labels).shape == (0,)


def _gate(seed: int) -> ScopeGate:
    """A gate fitted on confident, close in-scope and unsure, far out-of-scope messages."""
    rng = np.random.default_rng(seed)
    return ScopeGate().fit(
        rng.uniform(0.7, 1.0, 50), rng.uniform(0.6, 0.9, 50),
        rng.uniform(0.2, 0.6, 50), rng.uniform(0.1, 0.4, 50),
    )  # fmt: skip


def test_gate_prefers_close_and_confident_messages() -> None:
    gate = _gate(0)
    inside, outside = gate.in_scope_probability(np.array([0.95, 0.3]), np.array([0.85, 0.2]))
    assert inside > 0.9 > 0.1 > outside


def test_threshold_caps_how_much_in_scope_it_turns_away() -> None:
    in_scope = np.linspace(0.0, 1.0, 101)
    correct = np.ones(101, dtype=bool)
    out_of_scope = np.full(50, 0.5)  # only a threshold above 0.5 would catch these
    threshold = choose_threshold(in_scope, correct, out_of_scope, max_in_scope_rejection=0.1)
    assert threshold <= 0.1
    assert choose_threshold(in_scope, correct, out_of_scope, max_in_scope_rejection=0.6) > 0.5


def test_temperature_sharpens_an_underconfident_model() -> None:
    logits = np.array([[2.0, 0.0], [0.0, 2.0]] * 20)
    labels = np.array([0, 1] * 20)
    temperature = fit_temperature(logits, labels)
    assert temperature < 1.0
    assert softmax(logits, temperature)[0, 0] > softmax(logits)[0, 0]


def test_gate_gives_its_models_own_probabilities() -> None:
    gate, rng = _gate(3), np.random.default_rng(4)
    confidence, cosine = rng.uniform(0.0, 1.0, 25), rng.uniform(0.0, 1.0, 25)
    expected = gate._model.predict_proba(gate._features(confidence, cosine))[:, 1]
    assert np.abs(gate.in_scope_probability(confidence, cosine) - expected).max() < 1e-12
