"""`NluModel`: a trained intent classifier plus entity extractor, saved to and loaded
from a model directory that carries a format version.

The manifest states the out-of-scope operating point: `threshold`, the
`max_in_scope_fallback` it was picked for, the cross-validation `folds`, and what that
threshold measured on the held-out folds (`held_out_in_scope_fallback_rate` over
`held_out_in_scope_messages`, with their `held_out_accuracy`).

A model loaded with another `max_in_scope_fallback` than it was trained for re-picks its
threshold from the held-out scores it keeps (nlu/classifier.py): the scores do not
depend on the setting, so that is exactly the threshold retraining would pick, without
retraining. Models saved before the scores were kept still load, with the threshold they
were trained with; they say so in the log when asked for another share (the format
version stays 1, as nothing they hold became unreadable)."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from nlu.calibration import check_fallback_share
from nlu.classifier import ClassifierConfig, IntentClassifier, Progress
from nlu.encoder import TextEncoder
from nlu.entities import EntityExtractor
from nlu.errors import IncompatibleModelError, ModelLoadError, NluError
from nlu.result import FALLBACK_INTENT, RANKING_LENGTH, IntentScore, ParseResult, ScopeScore
from nlu.training_data import TrainingData

__all__ = ["FORMAT_VERSION", "NluModel"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CLASSIFIER_FILE = "classifier.pkl"
ENTITIES_FILE = "entities.json"


class NluModel:
    def __init__(
        self,
        classifier: IntentClassifier,
        extractor: EntityExtractor,
        encoder: TextEncoder,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.classifier = classifier
        self.extractor = extractor
        self.encoder = encoder
        self.metadata = metadata or {}

    @property
    def intents(self) -> list[str]:
        return list(self.classifier.labels)

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    @property
    def keeps_held_out_scores(self) -> bool:
        """Whether the threshold can follow `max_in_scope_fallback` without retraining."""
        return self.classifier.held_out is not None

    def set_fallback_share(self, max_in_scope_fallback: float) -> None:
        """Re-pick the out-of-scope threshold for another in-scope fallback share.

        A model without held-out scores (saved before they were kept) keeps the
        threshold it was trained with and logs that it does; retrain it to follow."""
        try:
            check_fallback_share(max_in_scope_fallback)
        except ValueError as exc:
            raise NluError(str(exc)) from exc
        point = self.classifier.operating_point
        if point is not None and point.max_in_scope_fallback == max_in_scope_fallback:
            return
        if not self.keeps_held_out_scores:
            log.warning(
                "the NLU model keeps its trained out-of-scope threshold %.3f: it was saved "
                "without held-out scores, so max_in_scope_fallback=%s cannot move it; "
                "retrain it with `switchboard nlu train`",
                self.threshold,
                max_in_scope_fallback,
            )
            return
        self.classifier.set_fallback_share(max_in_scope_fallback)
        self.metadata.update(self._operating_point())

    def _operating_point(self) -> dict[str, Any]:
        """The manifest's out-of-scope facts (only the threshold for older models)."""
        facts: dict[str, Any] = {"threshold": self.classifier.threshold}
        point, held_out = self.classifier.operating_point, self.classifier.held_out
        if point is not None and held_out is not None:
            facts.update(
                max_in_scope_fallback=point.max_in_scope_fallback,
                folds=held_out.folds,
                held_out_in_scope_messages=point.held_out_messages,
                held_out_in_scope_fallback_rate=round(point.held_out_fallback_rate, 4),
                held_out_accuracy=round(held_out.accuracy, 4),
            )
        return facts

    @classmethod
    def train(
        cls,
        data: TrainingData,
        encoder: TextEncoder,
        config: ClassifierConfig | None = None,
        progress: Progress | None = None,
    ) -> NluModel:
        if len(data.intents) < 2:
            raise NluError("training needs at least two intents")
        say = progress or (lambda _stage: None)
        started = time.perf_counter()
        texts = [example.text for example in data.examples]
        say("encoding")
        embeddings = encoder.encode(texts)
        classifier = IntentClassifier(config).fit(
            texts, embeddings, [example.intent for example in data.examples], say
        )
        extractor = EntityExtractor(dict(data.regexes), dict(data.lookups), dict(data.synonyms))
        metadata = {
            "trained_at": datetime.now().isoformat(timespec="seconds"),
            "training_seconds": round(time.perf_counter() - started, 2),
            "examples": len(texts),
            "intents": len(classifier.labels),
        }
        say("done")
        model = cls(classifier, extractor, encoder, metadata)
        model.metadata.update(model._operating_point())
        return model

    def parse(self, text: str, now: datetime | None = None) -> ParseResult:
        return self._result(text, self.encoder.encode([text]), now)

    async def parse_async(self, text: str, now: datetime | None = None) -> ParseResult:
        embedding = await self.encoder.encode_async(text)
        # Classification and entity extraction take milliseconds of CPU: off the event loop.
        return await asyncio.to_thread(
            self._result, text, np.asarray(embedding).reshape(1, -1), now
        )

    def parse_many(self, texts: list[str]) -> list[ParseResult]:
        """Batch parse (evaluation): one encoder call for all texts."""
        return self.evaluate_many(texts)[0]

    def evaluate_many(self, texts: list[str]) -> tuple[list[ParseResult], list[bool]]:
        """`parse_many`, and for each text whether the model was trained on it (a test on
        training examples overstates what it does on new messages)."""
        if not texts:
            return [], []
        embeddings = self.encoder.encode(texts)
        probabilities, in_scope = self.classifier.predict(texts, embeddings)
        rows = zip(texts, probabilities, in_scope, strict=True)
        results = [self._from_probabilities(text, p, float(s), None) for text, p, s in rows]
        return results, [bool(seen) for seen in self.classifier.trained_on(embeddings)]

    def _result(self, text: str, embedding: np.ndarray, now: datetime | None) -> ParseResult:
        probabilities, in_scope = self.classifier.predict([text], embedding)
        return self._from_probabilities(text, probabilities[0], float(in_scope[0]), now)

    def _from_probabilities(
        self, text: str, probabilities: np.ndarray, in_scope: float, now: datetime | None
    ) -> ParseResult:
        order = np.argsort(-probabilities)[:RANKING_LENGTH]
        ranking = [IntentScore(self.classifier.labels[i], float(probabilities[i])) for i in order]
        top = ranking[0]
        scope = ScopeScore(in_scope, self.classifier.threshold)
        if not scope.in_scope:
            # As with Rasa's FallbackClassifier the fallback leads the ranking (the ten
            # intents stay behind it); its confidence is P(out of scope).
            fallback = IntentScore(FALLBACK_INTENT, 1.0 - in_scope)
            ranking = [fallback, *ranking]
            top = fallback
        return ParseResult(text, top, ranking, self.extractor.extract(text, now), scope)

    def save(self, model_dir: str | Path) -> Path:
        directory = Path(model_dir)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / CLASSIFIER_FILE).open("wb") as file:
            pickle.dump(self.classifier, file, protocol=pickle.HIGHEST_PROTOCOL)
        (directory / ENTITIES_FILE).write_text(json.dumps(self.extractor.to_dict(), indent=2))
        manifest = {
            "format_version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "intents": self.intents,
            "temperature": self.classifier.temperature,
            **self.metadata,
            **self._operating_point(),
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2))
        return directory

    @classmethod
    def load(
        cls,
        model_dir: str | Path,
        encoder: TextEncoder,
        max_in_scope_fallback: float | None = None,
    ) -> NluModel:
        """The model in `model_dir`; with `max_in_scope_fallback`, its threshold moved
        to that share (see the module docstring)."""
        directory = Path(model_dir)
        manifest = _read_manifest(directory)
        try:
            with (directory / CLASSIFIER_FILE).open("rb") as file:
                classifier = pickle.load(file)  # our own model directory: trusted
            entities = json.loads((directory / ENTITIES_FILE).read_text())
            extractor = EntityExtractor(
                entities["regexes"], entities["lookups"], entities["synonyms"]
            )
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError) as exc:
            raise ModelLoadError(directory, f"corrupt model files ({exc})") from exc
        except (ValueError, TypeError, ImportError) as exc:
            raise ModelLoadError(directory, f"corrupt model files ({exc})") from exc
        if not isinstance(classifier, IntentClassifier):
            raise ModelLoadError(directory, f"{CLASSIFIER_FILE} does not hold a classifier")
        model = cls(classifier, extractor, encoder, manifest)
        if max_in_scope_fallback is not None:
            model.set_fallback_share(max_in_scope_fallback)
        return model


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelLoadError(directory, f"no {MANIFEST} (not a trained model directory)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(directory, f"unreadable {MANIFEST}: {exc}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise IncompatibleModelError(
            directory,
            f"model format version {version!r}, this Switchboard reads version "
            f"{FORMAT_VERSION}; retrain with `switchboard nlu train`",
        )
    trained_with = manifest.get("sklearn_version")
    if trained_with != sklearn.__version__:
        raise IncompatibleModelError(
            directory,
            f"trained with scikit-learn {trained_with}, installed is {sklearn.__version__}; "
            "retrain with `switchboard nlu train`",
        )
    return manifest
