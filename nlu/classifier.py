"""Intent classification: sentence embeddings + n-gram TF-IDF into one multinomial
logistic regression, temperature-calibrated, with an out-of-scope gate and threshold.

Training holds out part of the data twice over: a stratified slice of every intent
(in-scope held-out) and a few whole intents (pseudo out-of-scope, as unseen requests
look to the model). A first fit on the rest gives the temperature, the scope gate and
its threshold; the shipped fit then uses all the data.

Measured on BANKING77 (bench/nlu_banking77.py): embeddings alone 90.8%, embeddings
beside character 2-5-grams and word 1-2-grams 94.2% (embedding weight 1.0 beat 2.0)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from nlu.calibration import choose_threshold, fit_temperature, softmax
from nlu.features import SentenceFeatures
from nlu.scope import ScopeGate, nearest_same_intent

__all__ = ["ClassifierConfig", "IntentClassifier"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ClassifierConfig:
    embedding_weight: float = 1.0
    regularisation_c: float = 10.0
    max_iter: int = 300
    held_out_fraction: float = 0.15
    pseudo_oos_fraction: float = 0.2
    in_scope_weight: float = 1.0
    max_in_scope_rejection: float = 0.10
    seed: int = 7


class IntentClassifier:
    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.labels: list[str] = []
        self.temperature = 1.0
        self.threshold = 0.0
        self.gate = ScopeGate()
        self._features = SentenceFeatures(self.config.embedding_weight)
        self._model: LogisticRegression | None = None
        self._examples = np.zeros((0, 0), dtype=np.float32)  # training embeddings by label
        self._example_labels = np.zeros(0, dtype=np.int64)

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        labels: Sequence[str],
        progress: Progress | None = None,
    ) -> IntentClassifier:
        say = progress or (lambda _stage: None)
        y = np.asarray(labels)
        train, held_in, held_oos = self._calibration_split(y)
        if len(held_in) and len(set(y[train])) >= 2:
            say("calibrating")
            probe = IntentClassifier(self.config)
            probe._fit_plain([texts[i] for i in train], embeddings[train], y[train])
            logits_in = probe.logits([texts[i] for i in held_in], embeddings[held_in])
            index = {label: i for i, label in enumerate(probe.labels)}
            truth = np.array([index[label] for label in y[held_in]])
            probe.temperature = self.temperature = fit_temperature(logits_in, truth)
            conf_in, cos_in, top_in = probe._signals(logits_in, embeddings[held_in])
            logits_oos = probe.logits([texts[i] for i in held_oos], embeddings[held_oos])
            conf_oos, cos_oos, _ = probe._signals(logits_oos, embeddings[held_oos])
            self.gate.fit(conf_in, cos_in, conf_oos, cos_oos)
            self.threshold = choose_threshold(
                self.gate.in_scope_probability(conf_in, cos_in),
                top_in == truth,
                self.gate.in_scope_probability(conf_oos, cos_oos),
                self.config.in_scope_weight,
                self.config.max_in_scope_rejection,
            )
        say("fitting")
        self._fit_plain(texts, embeddings, y)
        return self

    def _fit_plain(self, texts: Sequence[str], embeddings: np.ndarray, y: np.ndarray) -> None:
        features = self._features.fit_transform(texts, embeddings)
        self._model = LogisticRegression(
            C=self.config.regularisation_c, max_iter=self.config.max_iter
        ).fit(features, y)
        self.labels = [str(label) for label in self._model.classes_]
        label_index = np.searchsorted(self._model.classes_, y)
        order = np.argsort(label_index, kind="stable")
        self._examples = np.asarray(embeddings, dtype=np.float32)[order]
        self._example_labels = label_index[order]

    def _signals(
        self, logits: np.ndarray, embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top confidence, nearest same-intent cosine and top intent index per row."""
        probabilities = softmax(logits, self.temperature)
        top = probabilities.argmax(axis=1)
        cosine = nearest_same_intent(
            np.asarray(embeddings, dtype=np.float32), top, self._examples, self._example_labels
        )
        return probabilities.max(axis=1), cosine, top

    def _calibration_split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices: training part, in-scope held-out, pseudo out-of-scope."""
        rng = np.random.default_rng(self.config.seed)
        intents = sorted(set(y.tolist()))
        n_oos = round(len(intents) * self.config.pseudo_oos_fraction)
        n_oos = min(n_oos, len(intents) - 2) if len(intents) > 3 else 0
        oos_intents = set(rng.choice(intents, size=n_oos, replace=False).tolist())
        train: list[int] = []
        held_in: list[int] = []
        held_oos: list[int] = []
        for intent in intents:
            members = rng.permutation(np.flatnonzero(y == intent))
            if intent in oos_intents:
                held_oos.extend(members.tolist())
                continue
            n_held = int(len(members) * self.config.held_out_fraction)
            held_in.extend(members[:n_held].tolist())
            train.extend(members[n_held:].tolist())
        return np.array(train, int), np.array(held_in, int), np.array(held_oos, int)

    def logits(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("classifier is not trained")
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        features = self._features.transform(texts, embeddings)
        return np.asarray(self._model.decision_function(features), dtype=np.float64)

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, columns in `self.labels` order."""
        return softmax(self.logits(texts, embeddings), self.temperature)

    def predict(
        self, texts: Sequence[str], embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities and P(in scope) per text; out of scope below threshold."""
        logits = self.logits(texts, embeddings)
        confidence, cosine, _ = self._signals(logits, embeddings)
        return softmax(logits, self.temperature), self.gate.in_scope_probability(confidence, cosine)
