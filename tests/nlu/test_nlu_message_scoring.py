"""A served parse (one message) is scored without scikit-learn's per-call machinery
(nlu/message_scoring.py); it must give scikit-learn's numbers."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from nlu import DEMO_DATA_DIR, NluModel, load_training_data
from nlu.calibration import softmax
from nlu.message_scoring import MessageScores
from tests.support.encoders import HashingEncoder

# Training wording, new wording, typos, digits, non-ASCII, no known n-gram at all, empty.
TEXTS = [
    "where is my order?",
    "how long do refunds take? (Ana, message 7)",
    "can I retrun sale itmes",
    "Ich möchte mein Abonnement kündigen — “bitte” 🙂",
    "ORDER A-10023 NEVER ARRIVED!!!",
    "qqqq zzzz",
    "",
]


def _by_scikit_learn(model: NluModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and P(in scope) through scikit-learn, as batches are scored."""
    classifier = model.classifier
    embeddings = model.encoder.encode(texts)
    logits = classifier.logits(texts, embeddings)
    confidence, cosine, _ = classifier._signals(logits, embeddings)
    gate = classifier.gate
    in_scope = gate._model.predict_proba(gate._features(confidence, cosine))[:, 1]
    return softmax(logits, classifier.temperature), in_scope


def _one_by_one(model: NluModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    rows = [model.classifier.predict([text], model.encoder.encode([text])) for text in texts]
    return np.vstack([p for p, _ in rows]), np.concatenate([s for _, s in rows])


def test_one_message_gets_scikit_learns_scores(support_model: NluModel) -> None:
    assert isinstance(support_model.classifier._one_message(), MessageScores)
    probabilities, in_scope = _one_by_one(support_model, TEXTS)
    expected_probabilities, expected_in_scope = _by_scikit_learn(support_model, TEXTS)
    assert np.abs(probabilities - expected_probabilities).max() < 1e-6
    assert np.abs(in_scope - expected_in_scope).max() < 1e-6
    assert (probabilities.argmax(axis=1) == expected_probabilities.argmax(axis=1)).all()


def test_a_parse_equals_the_batch_parse(support_model: NluModel) -> None:
    alone = [support_model.parse(text) for text in TEXTS]
    batch = support_model.parse_many(TEXTS)
    assert [r.intent.name for r in alone] == [r.intent.name for r in batch]
    for one, many in zip(alone, batch, strict=True):
        assert abs(one.intent.confidence - many.intent.confidence) < 1e-6
        assert abs(one.scope.probability - many.scope.probability) < 1e-6


def test_the_scorer_is_not_saved_and_is_made_again_after_loading(
    tmp_path: Path, fake_encoder: HashingEncoder
) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    before = model.parse("where is my order?").to_rasa()  # makes the scorer
    assert "_message_scores" not in pickle.loads(pickle.dumps(model.classifier)).__dict__
    model.save(tmp_path / "model")
    loaded = NluModel.load(tmp_path / "model", fake_encoder)
    assert loaded.parse("where is my order?").to_rasa() == before
    assert loaded.classifier._one_message() is not None


def test_a_refit_scores_with_the_new_fit(fake_encoder: HashingEncoder) -> None:
    model = NluModel.train(load_training_data([DEMO_DATA_DIR]), fake_encoder)
    first = model.classifier._one_message()
    texts = ["refund please", "hello there", "refund please", "hello there", "bye", "bye"]
    labels = np.array(["refund", "greet", "refund", "greet", "bye", "bye"])
    model.classifier._fit_plain(texts, fake_encoder.encode(texts), labels)
    assert model.classifier._one_message() is not first
    probabilities, _ = model.classifier.predict(["refund please"], fake_encoder.encode(["x"]))
    assert probabilities.shape == (1, 3)
